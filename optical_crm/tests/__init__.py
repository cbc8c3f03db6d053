from . import test_security_groups
from . import test_contact_policy
from . import test_campaign
