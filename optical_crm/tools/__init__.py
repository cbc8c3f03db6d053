from . import sms_length
