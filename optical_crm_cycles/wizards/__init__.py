from . import optical_cycle_backfill
from . import optical_cycle_backfill_line
from . import optical_cycle_simulation
from . import optical_cycle_simulation_line
from . import optical_cycle_import
from . import optical_cycle_copy
