"""Dispute mediation (矛盾纠纷化解): a dispute's parties, its mediator (a station's room such as 刘大姐工作室,
a street mediator), the sessions, the agreement, the follow-up visit and the outcome, on the `dispute` task."""
