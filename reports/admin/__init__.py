import reports.admin.statements  # noqa: F401
from reports.admin import checklists, visits

__all__ = ["checklists", "visits"]
