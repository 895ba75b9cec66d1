"""An outbox full of urgent SMS notices in an empty database: the crash test's and the delivery bench's.

`SETUP_SCRIPT % {"urges": N}` is run with `python -c` in the environment the workers will get
(DATABASE_URL, DUBAN_SMS_URL …): it migrates, builds the test cast, gives two people a mobile
number and SMS as their channel, and writes N 催办单 to one assignment, each reaching both — 2·N
notices and 2·N SMS deliveries. It prints "<notices> <deliveries>".
"""

import textwrap

from own_database import SETUP_PREAMBLE

SETUP_SCRIPT = SETUP_PREAMBLE + textwrap.dedent("""
    from django.db import transaction
    from duban.core import clock
    from duban.escalation.models import Urge
    from duban.escalation.services import preference_set
    from duban.escalation.sweep import urges_plan
    from duban.supervision import services as s
    from duban.supervision.models import Assignment

    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府常务会议纪要",
                                 issued_on=clock.today())
    task = s.task_create(actor=c.supervisor, decision=decision, title="推进重点项目开工",
                         lead_unit_ids=[c.pref_drc.pk])
    task = s.task_assign(actor=c.supervisor, task=task)
    # Numbers and channels only now, so that the 交办通知 above stays in the inbox and the outbox
    # holds exactly the 催办单 below.
    for person, phone in ((c.drc_liaison, "13800000001"), (c.drc_head, "13800000002")):
        person.phone = phone
        person.save(update_fields=["phone"])
        preference_set(actor=person, email=False, sms=True)
    a = Assignment.objects.get(task=task)
    now = clock.now()
    # 催办单 written in bulk (the service would write them one by one): each reaches two people.
    with transaction.atomic():
        urges = Urge.objects.bulk_create([
            Urge(step="manual", cause="manual", due_on=clock.today(), task=task, assignment=a, unit=a.unit,
                 to_liaison=True, to_unit_head=True, urgent=True, message=f"催办第{n}号", created_by=c.supervisor,
                 created_at=now)
            for n in range(%(urges)d)
        ], batch_size=1000)
        notices, deliveries, _ = urges_plan(now=now, urge_ids=[u.pk for u in urges])
    print(notices, deliveries)
""")
