from . import touchpoint_api
from . import unsubscribe
