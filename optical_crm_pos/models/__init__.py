from . import optical_sale_line
from . import pos_order
from . import account_move
