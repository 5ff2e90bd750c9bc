"""Whether a place is open on a day, from the words read on its sign (agent/opening_days.py)."""

from datetime import datetime

import pytest

from agent.opening_days import NO_DAYS, opening_answer
from agent.timetable import sign_days

HOURS_AFTER_DAYS = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM"
HOURS_BEFORE_DAYS = "8AM-6PM MON-FRI 10AM-2PM SAT SUN CLOSED"


@pytest.mark.parametrize(
    ("words", "open_days", "closed_days"),
    [
        ("OPEN 9 TO 5 MON TO FRI", {0, 1, 2, 3, 4}, set()),
        ("MON-SAT 10-6 SUN CLOSED", {0, 1, 2, 3, 4, 5}, {6}),
        ("OPEN TUES-SUN, CLOSED MON", {1, 2, 3, 4, 5, 6}, {0}),
        ("CLOSED MONDAYS", {1, 2, 3, 4, 5, 6}, {0}),  # open on the days it does not close
        ("OPEN DAILY 7AM-7PM", set(range(7)), set()),
        ("FRI TO MON", {4, 5, 6, 0}, set()),  # a range over the weekend
    ],
)
def test_the_days_a_sign_names(words, open_days, closed_days):
    assert sign_days(words) == (open_days, closed_days)


def test_a_sign_that_names_no_day_tells_no_days():
    assert sign_days("NO PARKING TOW AWAY ZONE") is None
    assert opening_answer("is it open on sunday?", "FRESH BREAD") is None
    # hours with no days (seen in a --cli drive: "is it open on sunday?" was answered with the text alone)
    no_days = "OPEN 9 TO 5 CALL 555-0147"
    assert opening_answer("is it open on sunday?", no_days) == NO_DAYS.format(
        words=no_days, hours="9 TO 5", day="Sundays"
    )
    assert opening_answer("are they open on weekends?", no_days).endswith("whether they open on weekends.")


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a drive: the words and no answer
        (
            "is it open on saturday?",
            "OPEN 9 TO 5 MON TO FRI",
            'No: the sign reads "OPEN 9 TO 5 MON TO FRI", which leaves out Saturdays.',
        ),
        (
            "is the library open on mondays?",
            "OPEN 9 TO 5 MON TO FRI",
            'Yes: the sign reads "OPEN 9 TO 5 MON TO FRI", open on Mondays.',
        ),
        (
            "is it closed on sunday?",
            "MON-SAT 10-6 SUN CLOSED",
            'Yes: the sign reads "MON-SAT 10-6 SUN CLOSED", closed on Sundays.',
        ),
        (
            "are they open on the weekend?",
            "MON-SAT 10-6 SUN CLOSED",
            'Partly: the sign reads "MON-SAT 10-6 SUN CLOSED", open on Saturdays but not on Sundays.',
        ),
        ("is it open on weekdays?", "OPEN DAILY", 'Yes: the sign reads "OPEN DAILY", open on weekdays.'),
        ("what does it say?", "OPEN DAILY", None),  # no day asked about
        (  # seen in a drive: "Yes ... open on Fridays", at 6 (after 5)
            "are they open on friday at 6",
            "OPEN 9 TO 5 MON TO FRI",
            'No: the sign reads "OPEN 9 TO 5 MON TO FRI", open 9 TO 5, not at 6.',
        ),
        (
            "is it open on saturday at 11am?",
            "MON-SAT 10-6 SUN CLOSED",
            'Yes: the sign reads "MON-SAT 10-6 SUN CLOSED", open 10-6, so open at 11am.',
        ),
        (
            "is it open on tuesday at 9pm",
            "OPEN 8AM-10PM DAILY",
            'Yes: the sign reads "OPEN 8AM-10PM DAILY", open 8AM-10PM, so open at 9pm.',
        ),
        (  # seen in a drive after "are they open on friday at 6": declined as a question about the picture
            "what about monday morning",
            "OPEN 9 TO 5 MON TO FRI",
            'Partly: the sign reads "OPEN 9 TO 5 MON TO FRI", open 9 TO 5, so open for part of the morning.',
        ),
        (  # seen in a --cli drive after "what about tomorrow morning?": the model said the question back
            "and on sunday?",
            HOURS_AFTER_DAYS,
            f'No: the sign reads "{HOURS_AFTER_DAYS}", which leaves out Sundays.',
        ),
        (  # seen in a --cli drive: "Yes ... open on Fridays, 8AM-6PM"
            "is the store open on friday evening?",
            HOURS_AFTER_DAYS,
            f'No: the sign reads "{HOURS_AFTER_DAYS}", open 8AM-6PM, so closed in the evening.',
        ),
        (
            "is it open on monday afternoon?",
            HOURS_AFTER_DAYS,
            f'Yes: the sign reads "{HOURS_AFTER_DAYS}", open 8AM-6PM, so open in the afternoon.',
        ),
        (  # seen in a drive: the words again; no yes or no for what was not a yes-or-no question
            "what are the hours on sunday?",
            "OPEN 9 TO 5 MON TO FRI",
            'The sign reads "OPEN 9 TO 5 MON TO FRI", which leaves out Sundays.',
        ),
    ],
)
def test_whether_it_is_open_on_a_day_is_answered_from_the_sign(question, words, answer):
    assert opening_answer(question, words) == answer


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a drive: the answer gave the sign's words and no time
        (
            "what time do they close on friday?",
            "OPEN 9 TO 5 MON TO FRI",
            'They close at 5 on Fridays: the sign reads "OPEN 9 TO 5 MON TO FRI".',
        ),
        (
            "when does the cafe open?",
            "OPEN 9 TO 5 MON TO FRI",
            'The cafe opens at 9: the sign reads "OPEN 9 TO 5 MON TO FRI".',
        ),
        (
            "what time does it close",
            "OPEN 8:30AM-6PM DAILY",
            'It closes at 6 pm: the sign reads "OPEN 8:30AM-6PM DAILY".',
        ),
        ("when does it open?", "OPEN 8:30AM-6PM DAILY", 'It opens at 8:30 am: the sign reads "OPEN 8:30AM-6PM DAILY".'),
        # a day it does not open: what the sign says of that day, no time
        (
            "what time do they close on sunday?",
            "OPEN 9 TO 5 MON TO FRI",
            'The sign reads "OPEN 9 TO 5 MON TO FRI", which leaves out Sundays.',
        ),
        ("what time does it close?", "CAFE OPEN DAILY", None),  # no hours on the sign
        # seen in a --cli drive: "read the sign and tell me when they close on saturday" gave the words alone
        (
            "read the sign and tell me when they close on saturday",
            "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM",
            'They close at 2 pm on Saturdays: the sign reads "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM".',
        ),
    ],
)
def test_the_time_it_opens_or_closes_is_answered_from_the_signs_hours(question, words, answer):
    assert opening_answer(question, words) == answer


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a drive: "when is it open?" had been answered "It opens at 9"
        (
            "when is it open?",
            "OPEN 9 TO 5 MON - FRI",
            'It is open 9 to 5, Monday to Friday: the sign reads "OPEN 9 TO 5 MON - FRI".',
        ),
        (
            "what are their hours?",
            "OPEN 8AM-6PM DAILY",
            'It is open 8am-6pm, every day: the sign reads "OPEN 8AM-6PM DAILY".',
        ),
        (
            "when are they open",
            "HOURS 10 - 4 SAT SUN",
            'They are open 10 - 4, on Saturdays and Sundays: the sign reads "HOURS 10 - 4 SAT SUN".',
        ),
        ("what are the opening hours?", "OPEN 9 TO 5", 'It is open 9 to 5: the sign reads "OPEN 9 TO 5".'),
        ("when is it open?", "CAFE OPEN DAILY", None),  # no hours on the sign
        # a day asked is answered for that day
        (
            "when is it open on sunday?",
            "OPEN 9 TO 5 MON - FRI",
            'The sign reads "OPEN 9 TO 5 MON - FRI", which leaves out Sundays.',
        ),
    ],
)
def test_when_it_is_open_is_answered_with_the_signs_hours_and_days(question, words, answer):
    assert opening_answer(question, words) == answer


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a drive: "They open at 8 am on Saturdays", the weekdays' hours
        (
            "what time do they open on saturday?",
            HOURS_AFTER_DAYS,
            f'They open at 10 am on Saturdays: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "what time do they open on saturday?",
            HOURS_BEFORE_DAYS,
            f'They open at 10 am on Saturdays: the sign reads "{HOURS_BEFORE_DAYS}".',
        ),
        (
            "what time does it close on monday?",
            HOURS_AFTER_DAYS,
            f'It closes at 6 pm on Mondays: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (  # seen in a --cli drive: the Saturday hours too
            "what time do they close on weekdays?",
            HOURS_AFTER_DAYS,
            f'They close at 6 pm Monday to Friday: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "what time do they close?",
            HOURS_AFTER_DAYS,
            f'They close at 6 pm Monday to Friday and at 2 pm on Saturdays: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "when is it open?",
            HOURS_BEFORE_DAYS,
            f'It is open 8am-6pm Monday to Friday and 10am-2pm on Saturdays: the sign reads "{HOURS_BEFORE_DAYS}".',
        ),
        (
            "is it open on saturday?",
            HOURS_AFTER_DAYS,
            f'Yes: the sign reads "{HOURS_AFTER_DAYS}", open on Saturdays, 10AM-2 PM.',
        ),
        (
            "are they open on saturday at 3pm?",
            HOURS_AFTER_DAYS,
            f'No: the sign reads "{HOURS_AFTER_DAYS}", open 10AM-2 PM, not at 3pm.',
        ),
        ("is it open on sunday?", HOURS_BEFORE_DAYS, f'No: the sign reads "{HOURS_BEFORE_DAYS}", closed on Sundays.'),
        # seen in a --cli drive: Detection ran, then the words alone
        (
            "what about saturday at noon?",
            HOURS_AFTER_DAYS,
            f'Yes: the sign reads "{HOURS_AFTER_DAYS}", open 10AM-2 PM, so open at noon.',
        ),
        (
            "is it open on monday at midnight?",
            HOURS_AFTER_DAYS,
            f'No: the sign reads "{HOURS_AFTER_DAYS}", open 8AM-6PM, not at midnight.',
        ),
    ],
)
def test_a_sign_with_hours_for_each_run_of_days_answers_with_the_days_hours(question, words, answer):
    assert opening_answer(question, words) == answer


MONDAY_MORNING = datetime(2026, 12, 7, 9, 5)
SATURDAY_AFTERNOON = datetime(2026, 12, 12, 15, 0)


@pytest.mark.parametrize(
    ("question", "now", "answer"),
    [
        # seen in a --cli drive: the words alone, no yes or no
        (
            "are they open right now?",
            MONDAY_MORNING,
            "By this computer's clock it is Monday, 9:05 am. Yes: the sign reads "
            f'"{HOURS_AFTER_DAYS}", open 8AM-6PM, so open at 9:05 am.',
        ),
        (
            "are they open right now?",
            SATURDAY_AFTERNOON,
            "By this computer's clock it is Saturday, 3:00 pm. No: the sign reads "
            f'"{HOURS_AFTER_DAYS}", open 10AM-2 PM, not at 3:00 pm.',
        ),
        # seen in a --cli drive: both runs' hours
        (
            "when do they open tomorrow?",
            MONDAY_MORNING,
            f'Tomorrow is Tuesday. They open at 8 am on Tuesdays: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "is it open today?",
            SATURDAY_AFTERNOON,
            f'Today is Saturday. Yes: the sign reads "{HOURS_AFTER_DAYS}", open on Saturdays, 10AM-2 PM.',
        ),
        ("what does the sign say now?", MONDAY_MORNING, None),
    ],
)
def test_today_tomorrow_and_now_are_read_by_the_clock(question, now, answer):
    assert opening_answer(question, HOURS_AFTER_DAYS, now) == answer


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # seen in a --cli drive: Saturday's hours alone, no length
        ("how many hours are they open on saturday?", "They are open 4 hours on Saturdays (10AM-2 PM)"),
        ("how long is it open?", "It is open 10 hours (8AM-6PM) Monday to Friday and 4 hours (10AM-2 PM) on Saturdays"),
        ("how long is it open on weekdays?", "It is open 10 hours (8AM-6PM) Monday to Friday: the sign"),
        # seen in a --cli drive: "They are open 10am-2pm."
        ("which day are they open longest?", "Longest: Monday to Friday: 8AM-6PM, 10 hours."),
        ("which days is it open the shortest?", "Shortest: on Saturdays: 10AM-2 PM, 4 hours."),
        ("how long are they open on sunday?", "The sign reads"),  # no hours that day: what the sign says of it
    ],
)
def test_how_long_it_is_open_is_worked_out_from_the_hours(question, answer):
    words = "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM"
    told = opening_answer(question, words)
    assert told is not None and told.startswith(answer) and words in told
    assert opening_answer("how long is it open?", "OPEN 8:30AM-6PM DAILY") == (
        'It is open 9 and a half hours a day (8:30AM-6PM): the sign reads "OPEN 8:30AM-6PM DAILY".'
    )


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a --cli drive: the opening time alone
        (
            "what time do they open and close?",
            "OPEN 9 TO 5",
            'They open at 9 and close at 5: the sign reads "OPEN 9 TO 5".',
        ),
        (
            "when does it open and close on saturday?",
            "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM",
            'It opens at 10 am and closes at 2 pm on Saturdays: the sign reads "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM".',
        ),
        (
            "what time do they open and close?",
            "STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM",
            "They are open from 8 am to 6 pm Monday to Friday and from 10 am to 2 pm on Saturdays: the sign reads "
            '"STORE HOURS MON-FRI 8AM-6PM SAT 10AM-2 PM".',
        ),
    ],
)
def test_both_times_asked_are_both_told(question, words, answer):
    assert opening_answer(question, words) == answer


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        # seen in a --cli drive: answered "The hours are 8AM-6PM 10AM-2 PM", the weekdays' hours among them
        (
            "what are the weekend hours?",
            HOURS_AFTER_DAYS,
            f'It is open 10am-2 pm on Saturdays, not on Sundays: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "what are the opening hours at the weekend?",
            HOURS_BEFORE_DAYS,
            f'It is open 10am-2pm on Saturdays, not on Sundays: the sign reads "{HOURS_BEFORE_DAYS}".',
        ),
        (
            "what are the weekday hours?",
            HOURS_AFTER_DAYS,
            f'It is open 8am-6pm Monday to Friday: the sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "what are saturday's hours?",
            HOURS_AFTER_DAYS,
            f'The sign reads "{HOURS_AFTER_DAYS}", open on Saturdays, 10AM-2 PM.',
        ),
        # one set of hours: whether the days named are among the sign's, with its hours
        (
            "what are the weekday hours?",
            "OPEN 9 TO 5 MON TO FRI",
            'The sign reads "OPEN 9 TO 5 MON TO FRI", open on weekdays, 9 TO 5.',
        ),
        (
            "what are the weekend hours?",
            "OPEN 9 TO 5 MON TO FRI",
            'The sign reads "OPEN 9 TO 5 MON TO FRI", which leaves out weekends.',
        ),
        (
            "what are the hours on sunday?",
            "OPEN DAILY 7AM-10PM",
            'The sign reads "OPEN DAILY 7AM-10PM", open on Sundays, 7AM-10PM.',
        ),
    ],
)
def test_the_hours_of_the_days_named_are_those_days_hours(question, words, answer):
    assert opening_answer(question, words) == answer


def test_days_a_week_holidays_and_how_late_are_told_from_the_sign():
    """Seen in a --cli drive: "how many days a week are they open?" ran Detection; "is it open on christmas?" and
    "are they open late?" were given the words alone."""
    from agent.opening_days import DAYS_A_WEEK, NO_HOLIDAYS

    days = DAYS_A_WEEK.format(count=6, s="s", span="Monday to Saturday", words=HOURS_AFTER_DAYS)
    assert opening_answer("how many days a week are they open?", HOURS_AFTER_DAYS) == days
    holiday = NO_HOLIDAYS.format(words=HOURS_AFTER_DAYS, holiday="Christmas")
    assert opening_answer("is it open on christmas?", HOURS_AFTER_DAYS) == holiday
    late = opening_answer("are they open late?", HOURS_AFTER_DAYS)
    assert late.startswith("They close at 6 pm Monday to Friday and at 2 pm on Saturdays")
    assert opening_answer("is it open on christmas?", "NO PARKING") is None  # no days, no hours: not a timetable


@pytest.mark.parametrize(
    ("question", "words", "answer"),
    [
        (
            "is it open at 6?",  # seen in a --cli drive: 'I found it open: OPEN 9 TO 5 CALL 555-0147.'
            "OPEN 9 TO 5 CALL 555-0147",
            'No: the sign reads "OPEN 9 TO 5 CALL 555-0147", open 9 TO 5, not at 6.',
        ),
        (
            "are they open at noon?",
            "OPEN 9 TO 5 CALL 555-0147",
            'Yes: the sign reads "OPEN 9 TO 5 CALL 555-0147", open 9 TO 5, so open at noon.',
        ),
        (
            "is it closed at 10?",
            "OPEN 9 TO 5 CALL 555-0147",
            'No: the sign reads "OPEN 9 TO 5 CALL 555-0147", open 9 TO 5, so open at 10.',
        ),
        (
            "is it open at 9am?",  # open on weekdays, not yet on Saturdays
            HOURS_AFTER_DAYS,
            "It depends on the day: at 9am they are open Monday to Friday (8AM-6PM) and closed on Saturdays (10AM-2 PM)."
            f' The sign reads "{HOURS_AFTER_DAYS}".',
        ),
        (
            "are they open at 7am?",  # closed on every day it names
            HOURS_AFTER_DAYS,
            f'No: the sign reads "{HOURS_AFTER_DAYS}", open 8AM-6PM Monday to Friday and 10AM-2 PM on Saturdays, not at'
            " 7am.",
        ),
    ],
)
def test_a_time_asked_without_a_day_is_told_from_the_hours(question, words, answer):
    assert opening_answer(question, words) == answer


def test_what_the_hours_mean_is_their_days_and_times():
    """Seen in a --cli drive: "what do the hours mean?" was answered with the hours without their days."""
    told = opening_answer("what do the hours mean?", HOURS_AFTER_DAYS)
    assert told.startswith("It is open 8am-6pm Monday to Friday and 10am-2 pm on Saturdays")


def test_holidays_asked_again_and_hours_a_day_are_told():
    """Seen in a --cli drive: after "do they open on sundays?", "what about holidays?" and "how many hours a day are
    they open on weekdays?" each ran Detection."""
    from agent.opening_days import NO_HOLIDAYS
    from agent.read_text import asks_about_writing

    told = opening_answer("what about holidays?", HOURS_AFTER_DAYS)
    assert told == NO_HOLIDAYS.format(words=HOURS_AFTER_DAYS, holiday="holidays")
    told = opening_answer("how many hours a day are they open on weekdays?", HOURS_AFTER_DAYS)
    assert told.startswith("They are open 10 hours (8AM-6PM) Monday to Friday")
    assert opening_answer("do they open on sundays?", HOURS_AFTER_DAYS).startswith("No:")
    assert asks_about_writing("do they open on sundays?")
    assert asks_about_writing("how many hours a day are they open on weekdays?")


def test_the_earliest_and_latest_times_are_told_with_their_days():
    """Seen in a --cli drive: "whats the earliest they open" was answered with a made-up time; "whats the latest they
    close" and "on which day do they close earliest" ran Detection."""
    from agent.opening_days import EARLIEST
    from agent.read_text import asks_about_writing

    told = opening_answer("whats the earliest they open", HOURS_AFTER_DAYS)
    assert told == EARLIEST.format(
        who="They", verb="open", most="earliest", days="Monday to Friday", time="8 am", words=HOURS_AFTER_DAYS
    )
    assert opening_answer("on which day do they close earliest", HOURS_AFTER_DAYS).startswith(
        "They close earliest on Saturdays, at 2 pm"
    )
    assert opening_answer("whats the latest they close", "OPEN 9 TO 5 MON TO FRI").startswith(
        "They close at 5 Monday to Friday"
    )
    assert asks_about_writing("whats the earliest they open")
