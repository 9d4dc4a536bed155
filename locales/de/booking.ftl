# Monatsübersicht, Tagesansicht, Zeitzonenwahl, Live-Aktualisierung und
# „Zum Kalender hinzufügen“ der Buchungsseiten (siehe locales/en/booking.ftl).

## Die freien Termine eines Tages oder einer Woche

slots-heading-day = Freie Termine am { $day }
slots-heading-week = Freie Termine in der Woche vom { $week }
slots-days = Tage
slots-previous-day = Vorheriger Tag
slots-next-day = Nächster Tag
slots-whole-week = Alle freien Termine dieser Woche
slots-caption-day = Freie Termine am { $day }, in { $tz }
next-none-day = An diesem Tag gibt es keine freien Termine.
next-none-week = Diese Woche gibt es keine freien Termine.
next-available = Nächster freier Termin:
next-nothing = In den kommenden Monaten ist noch nichts frei.

## Die Monatsübersicht

month-nav = Monate
month-previous = Vorheriger Monat
month-next = Nächster Monat
month-caption = Tage im { $month }; Tage mit freien Terminen sind Links.
month-day-open = { $n ->
    [one] { $day }, ein freier Termin
   *[other] { $day }, { $n } freie Termine
}
month-empty = Im { $month } gibt es keine freien Termine.

## Die Zeitzonenwahl

zone-times-in = Die Uhrzeiten gelten für { $tz }.
zone-coach-in = { $coach } ist in { $zone }.
zone-type-to-change = Geben Sie zum Ändern eine Stadt oder eine Zeitzone ein.
zone-unknown = „{ $typed }“ ist keine uns bekannte Zeitzone. Geben Sie eine Stadt wie Berlin oder eine Zeitzone wie Europe/Berlin ein.

## Live-Aktualisierung der freien Termine (mit JavaScript)

live-taken = Gerade vergeben:
live-more = Es gibt weitere freie Termine: Laden Sie die Seite neu, um sie zu sehen.
live-bad-from = „from“ muss ein Datum (JJJJ-MM-TT) nahe am heutigen Tag sein.
live-bad-days = „days“ muss eine Zahl von 1 bis { $max } sein.

## Zum Kalender hinzufügen

add-heading = Zu Ihrem Kalender hinzufügen
add-ics-apps = : Apple Kalender und andere Apps
add-google = Google Kalender
add-outlook = Outlook.com
add-new-tab = (öffnet sich in einem neuen Tab)

## Eltern- und Serientexte der Buchungsseite

manage-guardian-follows = Sie verfolgen die Buchung von { $student } als Elternteil oder Erziehungsberechtigte(r). Dieser Link zeigt sie an; ändern oder stornieren kann sie die Schülerin oder der Schüler mit dem eigenen Link.
manage-guardian-read-only = Mit diesem Link lässt sich die Buchung weder verschieben noch stornieren; bitte wenden Sie sich an die Schülerin, den Schüler oder den Coach.
manage-series-change-dates = Einzelne Termine verschieben oder stornieren Sie in der Liste oben.
