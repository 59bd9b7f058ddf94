# Dates and times in Russian (27 сентября 2022 г., 14:05); numbers: Django's (1 234,5).
DATE_FORMAT = "j E Y г."
DATETIME_FORMAT = "j E Y г. H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j E"
TIME_FORMAT = "H:i"
