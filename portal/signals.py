from django.dispatch import Signal

# Sent with `assignment` (a RoleAssignment) after a role is given.
role_assigned = Signal()
