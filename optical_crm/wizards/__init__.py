from . import optical_campaign_preview
from . import optical_campaign_preview_sample
from . import optical_consent_wizard
from . import optical_import_wizard
from . import optical_import_wizard_line
from . import optical_import_wizard_column
