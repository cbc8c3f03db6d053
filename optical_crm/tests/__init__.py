from . import test_security_groups
from . import test_contact_policy
from . import test_customer_value
from . import test_value_dashboard
from . import test_customer_timeline
from . import test_value_dashboard_tour
