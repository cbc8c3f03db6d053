from . import test_enrollment
from . import test_dispatch
from . import test_tools
from . import test_i18n
from . import test_security_cycles
from . import test_cycle_tour
from . import test_attribution
from . import test_sending_shop
