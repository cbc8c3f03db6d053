from . import purchase_api
from . import touchpoint_api
from . import unsubscribe
