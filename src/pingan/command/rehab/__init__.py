"""Community drug rehabilitation (社区戒毒/社区康复): people under a plan, their scheduled check-ins and tests, a
task for the community officer when one is missed, and the 在管率. Visible only with the 禁毒 duty
(`pingan.core.models.Duty.NARCOTICS`), decided by the core's one access place."""
