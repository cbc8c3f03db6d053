from . import sms_length
from . import phone
from . import providers
