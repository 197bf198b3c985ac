"""The executive digest: what is spreading, how big it is, and whether the brand answered.

from bot.digest.service import DigestService   # loads jinja2 and matplotlib: import it when needed
service = DigestService(store, config.digest, brand=..., own_handles=..., feed_base_url=...)
service.run(start, end, send_mail=True)        # by hand (`earshot digest`)
service.run_once()                             # the daemon: every due schedule, once
"""

from bot.digest.schedule import Period, latest_period
from bot.digest.settings import DigestSettings, ScheduleSettings, SmtpSettings

__all__ = ["DigestSettings", "Period", "ScheduleSettings", "SmtpSettings", "latest_period"]
