from . import sms_length
from . import csv_files
from . import legacy_columns
