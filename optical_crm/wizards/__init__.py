from . import optical_consent_wizard
from . import optical_import_wizard
from . import optical_import_wizard_line
