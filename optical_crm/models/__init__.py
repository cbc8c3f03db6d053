from . import product_template
from . import account_move_line
from . import res_company
from . import res_partner
from . import optical_exam
from . import optical_prescription
from . import optical_consent
from . import optical_touchpoint
