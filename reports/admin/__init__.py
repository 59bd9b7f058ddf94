from reports.admin import checklists, visits

__all__ = ["checklists", "visits"]
