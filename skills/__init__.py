"""Skills: one module per capability, discovered through the ``assistant.skills`` group.

Empty until the skills land; they receive ``intents.IntentMatch`` values.
"""
