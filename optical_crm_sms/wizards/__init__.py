from . import sms_composer
from . import optical_campaign_preview
