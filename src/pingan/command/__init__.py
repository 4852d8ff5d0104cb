"""The command centre (指挥中心): governance tasks, patrol and response, duty, rankings, the big screen and reports.

One package shape per business, each on the one task workflow of the core:

- ``dangers/``   hidden dangers (交通隐患点、生命通道、出租房屋) rectified by a lead and co-departments
- ``disputes/``  dispute mediation (矛盾纠纷化解)
- ``verify/``    verification lists pushed down (研判→推送→排查→处置→反馈)
- ``rehab/``     community drug rehabilitation (社区戒毒/社区康复), restricted to the 禁毒 duty
- ``alarms/``    unified alarm intake (统一接警)
- ``patrol/``    patrol zones, unit positions, the "135" reach, duty rosters (勤务)
- ``traffic/``   traffic enforcement figures imported from the traffic police system
- ``ranking/``   rankings of stations and departments (打榜)
- ``reports/``   日研判、周通报、月点评、季总结, HTML and PDF
- ``screen/``    the big screen's figures (大屏)

The command centre may read the other capabilities' ``queries`` modules (and nothing else of theirs).
"""
