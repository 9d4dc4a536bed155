# Die öffentlichen Seiten. Anrede: „Sie“.

skip-to-content = Zum Inhalt springen
lang-switch-label = Sprache

## Gemeinsame Bezeichnungen

label-what = Was
label-when = Wann
label-status = Status
label-reference = Buchungsnummer
label-name = Name
label-price = Preis
session-with = { $title } mit { $coach }
field-your-name = Ihr Name
field-your-email = Ihre E-Mail-Adresse
field-note = Möchten Sie Ihrem Coach etwas mitteilen? (optional)
optional = (optional)
back-to-site = Zurück zu { $site }
price-free = kostenlos

## Dauer

duration-days = { $n ->
    [one] { $n } Tag
   *[other] { $n } Tage
}
duration-hours = { $h } Std.
duration-minutes = { $m } Min.
duration-hours-minutes = { $h } Std. { $m } Min.

## Buchungsstatus

status-confirmed = Bestätigt
status-tentative = Wartet auf Bestätigung durch den Coach
status-cancelled = Storniert
deadline-moved = Diese Buchung kann nicht mehr online verschoben werden (das war bis { $until } möglich). Bitte wenden Sie sich an Ihren Coach.
deadline-cancelled = Diese Buchung kann nicht mehr online storniert werden (das war bis { $until } möglich). Bitte wenden Sie sich an Ihren Coach.

## Startseite

front-nobody = Hier bietet noch niemand öffentliche Buchungen an.
front-book-heading = Einen Termin buchen
front-own-calendar = Ihr eigener Kalender
front-account-before = Sie haben hier ein Konto?
front-connect-link = Verbinden Sie Ihre Kalender-App
front-account-after = (Apple Kalender, Thunderbird, DAVx⁵, Outlook).

## Seite eines Coachs

coach-title = { $coach } buchen
coach-heading = Einen Termin mit { $coach } buchen
coach-nothing = Im Moment gibt es nichts zu buchen.
coach-group-session = { $n ->
    [one] Gruppentermin, bis zu { $n } Person
   *[other] Gruppentermin, bis zu { $n } Personen
}
coach-see-times = Freie Termine ansehen
coach-see-times-for = für { $title }

## Freie Termine einer Woche

slots-rescheduling = wählen Sie eine neue Zeit für die Buchung { $reference }
slots-show-times-in = Zeiten anzeigen in
slots-show = Anzeigen
slots-weeks = Wochen
slots-previous-week = Vorige Woche
slots-next-week = Nächste Woche
slots-caption = Freie Termine in der Woche { $week }, in { $tz }
slots-no-times = Keine freien Termine
slots-seats-left = { $left } von { $seats } Plätzen frei
slots-full-heading = Ausgebuchte Termine: auf die Warteliste
slots-full-hint = Wird ein Platz frei, wird er für die erste Person auf der Warteliste reserviert, und sie erhält eine E-Mail, um ihn zu übernehmen.
slots-full-legend = { $when } ({ $tz }) ist ausgebucht
slots-join-waitlist = Auf die Warteliste für { $when }

## Ihre Angaben

hold-title = Ihre Angaben
hold-move-title = { $title } auf diese Zeit verschieben?
hold-held-until = { $when } ({ $tz }) ist bis { $expires } für Sie reserviert.
hold-choose = Bitte wählen…
hold-submit-book = Verbindlich buchen
hold-submit-move = Buchung verschieben
hold-submit-ask-move = Den Coach bitten, meine Buchung zu verschieben

## Ihre Buchung

booking-title = Buchung { $reference }
manage-heading-confirmed = Ihre Buchung
manage-heading-requested = Buchung angefragt
manage-heading-cancelled = Buchung storniert
manage-done-booked = Sie sind gebucht. Eine Bestätigung ist auf dem Weg in Ihr Postfach.
manage-done-requested-booking = Ihre Anfrage ist eingegangen. Der Coach bestätigt sie; Sie erhalten dann eine E-Mail.
manage-done-moved = Ihre Buchung wurde verschoben.
manage-done-requested-move = Ihr Coach wurde gebeten, den Termin zu verschieben; Sie erhalten eine E-Mail, sobald eine Antwort vorliegt.
manage-request-approved = Ihr Coach hat die Verschiebung auf { $when } angenommen; die Buchung wird gleich verschoben.
manage-request-waiting = Sie haben gebeten, diesen Termin auf { $when } zu verschieben. Die Anfrage wartet auf den Coach; bleibt sie unbeantwortet, verfällt sie am { $lapses }.
manage-request-withdrawn = Ihre Verschiebungsanfrage ist zurückgezogen; Ihre Buchung bleibt zur gebuchten Zeit.
manage-cancel-open = Diese Buchung kann bis { $until } online storniert werden.
manage-cancelled = Ihre Buchung ist storniert.
manage-too-late-to-cancel = Für eine Online-Stornierung ist es zu spät: Sie war bis { $deadline } möglich.
booking-series-link = Alle Termine dieser Serie
booking-series-hint = (einzelne Termine ansehen oder stornieren)
booking-add-to-calendar = Zum Kalender hinzufügen (.ics)
booking-feed-before = Oder abonnieren Sie
booking-feed-link = diesen Termin als Kalender-Feed
booking-feed-after = (auch für Eltern): Kalender-Apps folgen dann, wenn er verschoben oder abgesagt wird.
booking-change-heading = Ändern oder stornieren
booking-keep-link = Bewahren Sie die Adresse dieser Seite auf: Mit ihr verwalten Sie Ihre Buchung.
booking-request-heading = Verschiebungsanfrage
booking-withdraw = Anfrage zurückziehen
booking-choose-another = Eine andere Zeit wählen
booking-cancel = Diese Buchung stornieren

## Termine einer Serie

series-title = Ihre Serie: { $title }
series-heading = Ihre Serie: { $title } mit { $coach }
series-caption = Alle Termine der Serie ({ $tz })
series-change-column = Ändern
series-cancel-date = Diesen Termin stornieren
series-cancel-date-label = { $when } stornieren
series-cancel-all = Alle verbleibenden Termine stornieren
series-back = Zurück zu Ihrer Buchung
series-date-cancelled = Dieser Termin ist storniert.
series-all-cancelled = Alle verbleibenden Termine sind storniert.
series-invalid-date = Das Datum ist ungültig.

## Warteliste

waitlist-title = Warteliste: { $title }
waitlist-waiting = Sie stehen auf der Warteliste. Wird ein Platz frei, schreiben wir Ihnen und halten ihn eine Weile für Sie frei.
waitlist-waiting-number = Sie stehen auf der Warteliste, an Position { $n }. Wird ein Platz frei, schreiben wir Ihnen und halten ihn eine Weile für Sie frei.
waitlist-offered = Ein Platz ist frei und bis { $expires } für Sie reserviert.
waitlist-claim = Meinen Platz übernehmen
waitlist-claimed = Sie haben diesen Termin gebucht; in Ihrer Buchungs-E-Mail finden Sie den Link, um ihn zu verwalten.
waitlist-expired = Der für Sie reservierte Platz wurde nicht rechtzeitig übernommen, oder der Termin kann nicht mehr gebucht werden. Sie stehen nicht mehr auf der Warteliste.
waitlist-left = Sie haben die Warteliste verlassen.
waitlist-pass-on = Nein danke, weitergeben
waitlist-leave = Warteliste verlassen

## Kalender verbinden

connect-title = Kalender verbinden
connect-heading = Verbinden Sie Ihren Kalender mit { $site }
connect-intro = Kalender-Apps, die CalDAV sprechen, halten Ihre Kalender hier synchron. Die Adresse für die App:
connect-sign-in = Melden Sie sich mit Ihrem Benutzernamen und Passwort für { $site } an. Auf iPhone, iPad oder Mac können Sie stattdessen
connect-profile-link = ein Konfigurationsprofil laden
connect-profile-after = (es fragt nach Ihrer Anmeldung; das Passwort wird darin nicht gespeichert).
connect-feeds-before = Möchten Sie einen Kalender in Outlook oder Google Kalender als Abonnement (nur lesen)?
connect-feeds-link = Ihre Feed-Links
connect-feeds-after = (Anmeldung mit Benutzername und Passwort).
connect-apple-name = Apple Kalender auf iPhone, iPad oder Mac
connect-apple-1 = Am einfachsten: Öffnen Sie { $path } auf dem Gerät, melden Sie sich an und installieren Sie das geladene Profil (iPhone/iPad: Einstellungen → Profil geladen → Installieren; Mac: Systemeinstellungen → Datenschutz & Sicherheit → Profile) und geben Sie Ihr Passwort ein, wenn Sie danach gefragt werden.
connect-apple-2 = Oder von Hand auf iPhone/iPad: Einstellungen → Apps → Kalender → Kalenderaccounts → Account hinzufügen → Andere → CalDAV-Account hinzufügen.
connect-apple-3 = Von Hand auf dem Mac: Kalender → Einstellungen → Accounts → + → Anderer CalDAV-Account …, Accounttyp „Manuell“.
connect-apple-4 = Server: { $url } · Benutzername und Passwort: Ihr slotdav-Konto.
connect-thunderbird-name = Thunderbird
connect-thunderbird-1 = Öffnen Sie den Kalender-Tab, dann Neuer Kalender … → Im Netzwerk.
connect-thunderbird-2 = Benutzername: Ihr slotdav-Benutzername; Adresse: { $url }; dann Kalender suchen.
connect-thunderbird-3 = Geben Sie Ihr Passwort ein, wenn Sie danach gefragt werden, wählen Sie die Kalender aus und klicken Sie auf Abonnieren.
connect-davx5-name = DAVx⁵ (Android)
connect-davx5-1 = Tippen Sie auf + → Mit URL und Benutzername anmelden.
connect-davx5-2 = Basis-URL: { $url }; Benutzername und Passwort: Ihr slotdav-Konto; Anmelden.
connect-davx5-3 = Legen Sie das Konto an, öffnen Sie es und wählen Sie die Kalender zum Synchronisieren; sie erscheinen dann in Ihrer Kalender-App.
connect-outlook-name = Outlook unter Windows (Add-in CalDAV Synchronizer)
connect-outlook-1 = Installieren Sie CalDAV Synchronizer, dann in Outlook: CalDav Synchronizer → Synchronization Profiles → Add new profile → Generic CalDAV/CardDAV.
connect-outlook-2 = DAV URL: { $url }; Benutzername und Passwort: Ihr slotdav-Konto; dann „Test or discover settings“ und einen Kalender wählen.
connect-outlook-3 = Wählen Sie den Outlook-Kalenderordner, der synchron bleiben soll, und OK.
feeds-title = Ihre Kalender-Feeds
feeds-heading = Kalender-Feeds von { $user }
feeds-intro = Wer einen dieser geheimen Links hat, kann den Kalender lesen; geben Sie sie also nur an Apps weiter, die Sie selbst nutzen.
feeds-how = Outlook: Kalender hinzufügen → Aus dem Internet abonnieren, und den Link einfügen. Google Kalender: Weitere Kalender → + → Per URL.
feeds-none-before = Sie haben keinen Kalender veröffentlicht. Eine Administratorin oder ein Administrator führt
feeds-none-after = aus, um einen zu veröffentlichen.
feeds-subscribe = Abonnieren
feeds-subscribe-to = { $calendar }
feeds-back = Zurück zu „Kalender verbinden“

## Kalendertexte der Buchung

ics-note-from = Nachricht von { $name }: { $note }
ics-booking = Buchung { $reference } · { $price }
ics-manage = Verwalten: { $url }

## Recurring series: the dates, the repeat form, moving every remaining date (issue 11 §2)

series-when-column = Wann
series-status-column = Status
series-move-date = Diesen Termin verschieben
booking-series-heading = Alle Termine
series-some-cancelled =
    { $n ->
    [one] Ein Termin ist storniert.
    *[other] { $n } Termine sind storniert.
    } Zu kurzfristig für eine Online-Stornierung und weiter gebucht: { $kept }.
series-move-all-heading = Alle verbleibenden Termine verschieben
series-move-all-hint = Wählen Sie die neue Zeit für den nächsten Termin ({ $first }). Alle späteren Termine wandern mit: gleicher Wochentag, gleiche Uhrzeit, gleicher Abstand in Wochen.
series-move-all-week = Freie Zeiten in der Woche { $week }
series-move-all-label = Neue Zeit des nächsten Termins
series-move-all-submit = Alle verbleibenden Termine verschieben
series-move-all-none = In dieser Woche ist keine Zeit frei.
series-move-all-earlier = Woche davor
series-move-all-later = Woche danach
series-move-all-approval = Jede Verschiebung dieser Termine muss der Coach bestätigen: Verschieben Sie die Termine einzeln.
series-all-moved = Alle verbleibenden Termine sind verschoben.
series-some-moved =
    { $n ->
    [one] Ein Termin ist verschoben.
    *[other] { $n } Termine sind verschoben.
    } Zu kurzfristig für eine Online-Verschiebung und weiter zur alten Zeit: { $kept }.
series-move-conflicts = Nichts wurde verschoben, denn diese neuen Termine sind nicht frei: { $dates }. Bitte wählen Sie eine andere Zeit.
series-move-invalid = Wählen Sie eine der aufgeführten freien Zeiten.
series-too-late-to-move = Für eine Online-Verschiebung ist es zu spät: Das war bis { $deadline } möglich.
repeat-heading = Wiederholen
repeat-held = Diese { $n } Termine sind für Sie reserviert:
repeat-not-free = Termine, die nicht frei sind
repeat-leave-out = { $when } weglassen
repeat-every-label = Rhythmus
repeat-count-label = Anzahl der Termine insgesamt
repeat-hold = Diese Termine reservieren
repeat-retry = Ohne die angekreuzten Termine erneut versuchen
repeat-once = Nur dieser Termin
repeat-every =
    { $n ->
    [one] Jede Woche
    *[other] Alle { $n } Wochen
    }
repeat-error-count = Geben Sie die Anzahl als Zahl an.
repeat-error-skips = Höchstens { $n } Termine können weggelassen werden.
repeat-error-skip = Ein wegzulassender Termin ist ungültig.
repeat-error-invalid = Wählen Sie den Rhythmus aus der Liste und zwischen 2 und { $max } Terminen insgesamt.
repeat-cannot = Diese Reservierung kann nicht wiederholt werden.
repeat-conflicts =
    { $n ->
    [one] Einer dieser Termine ist nicht frei. Lassen Sie ihn weg (unten angekreuzt) und versuchen Sie es erneut, oder wählen Sie eine andere Zeit.
    *[other] { $n } dieser Termine sind nicht frei. Lassen Sie sie weg (unten angekreuzt) und versuchen Sie es erneut, oder wählen Sie eine andere Zeit.
    }
guardian-legend = Elternteil oder erziehungsberechtigte Person
guardian-optional = (optional)
guardian-hint = Diese Person erhält die Einladung, jede Änderung und die Erinnerungen sowie einen eigenen Link zur Buchung.
guardian-name = Name dieser Person
guardian-email = E-Mail-Adresse dieser Person
label-duration = Dauer
label-where = Ort
embed-book-with = Einen Termin bei { $coach } buchen

## The repeat form's errors

repeat-error-every = Wählen Sie den Rhythmus aus der Liste.

## Where a session takes place (issue 12 §3)

location-in-person = Vor Ort
location-phone = Telefonisch
location-video = Videoanruf
location-video-later = den Link erhalten Sie mit Ihrer Buchung
location-video-own-later = Ihren eigenen Link erhalten Sie mit Ihrer Buchung

## Moving every remaining date: the week links

series-move-all-week-nav = Andere Wochen
