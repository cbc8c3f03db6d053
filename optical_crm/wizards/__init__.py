from . import optical_campaign_preview
from . import optical_campaign_preview_sample
