from . import sms_composer
from . import optical_campaign_preview
from . import sms_resend
