from . import test_security_groups
from . import test_contact_policy
from . import test_segment
from . import test_campaign
from . import test_campaign_results
from . import test_campaign_tour
