from . import test_sms_length
from . import test_phone
from . import test_sending
