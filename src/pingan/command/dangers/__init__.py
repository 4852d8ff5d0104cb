"""Hidden dangers (隐患整治): 交通隐患点, 生命通道 (fire lanes), 出租房屋 found, planned, rectified by a lead
department and co-departments (公安+住建+消防…), accepted on site (现场验收) and counted against the year's
targets.

A finding is a `hidden_danger` task held by its lead department; each co-department reports its part on a
`hidden_danger_part` task of its own; the lead submits for acceptance with after-photos; the police (the
station of the place, or the centre) accept (outcome `rectified`) or send it back.
"""
