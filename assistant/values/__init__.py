"""Plain values (base layer): what the layers above pass each other, with no behaviour
but their own: records, occurrences, prompts, the schedule, requests and answers of the
platform, slot values, the volume; and words: for times and spans (``phrasing``,
``spans``), and the commands' messages in zh and en (``messages``, which reads and checks
``assistant/data/messages.yaml``).
"""
