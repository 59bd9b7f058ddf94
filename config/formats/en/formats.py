# Dates and times as the mission's English statements and pages write them (27 September 2022,
# 14:05); the named formats templates use: {{ value|date:"DATE_FORMAT" }}. Numbers: Django's.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
