"""Nothing of the supervision domain is registered in the back office.

The admin site is for the three administrators (三员分立), and none of them sees
business content by role alone: decisions, tasks, assignments, reports and
extensions are read through the product's own pages, in the reader's scope.
"""
