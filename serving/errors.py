"""The one exception for problems the user caused, so that only those reach the user as advice.

The model modules raise InputError with a message that says what to change; serving/guards.py
turns it into the visible gr.Error, in one place, and logs one line for it. Any other exception
is a fault of the app: Gradio logs its traceback and shows a generic message.
"""


class InputError(ValueError):
    """A request the user can fix; its message is shown as is."""
