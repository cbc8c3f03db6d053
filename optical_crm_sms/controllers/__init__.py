from . import delivery_reports
from . import landing
