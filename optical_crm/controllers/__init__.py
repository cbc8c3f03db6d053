from . import touchpoint_api
