"""Plain values (base layer): what the layers above pass each other, with no behaviour
but their own: records, occurrences, prompts, the schedule, requests and answers of the
platform, the volume; and words for times and spans (``phrasing``, ``spans``) and the
family's commands' messages in zh and en (``messages``).
"""
