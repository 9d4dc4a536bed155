# E-Mails an Schülerinnen und Schüler. Anrede: „Sie“.
# Die Anrede endet mit einem Komma; der erste Absatz beginnt klein, wie in einem Brief.

mail-hello = Hallo { $name },
mail-signature = gesendet von slotdav
mail-label-what = Was
mail-label-when = Wann
mail-label-with = Mit
mail-label-reference = Buchungsnummer
mail-label-price = Preis
mail-manage-link = Verschieben oder stornieren
mail-coach-wrote =
    { $coach } schreibt:
    { $message }

## Betreffzeilen

mail-subject-requested = Anfrage erhalten: { $title } mit { $coach }, { $when }
mail-subject-booked = Gebucht: { $title } mit { $coach }, { $when }
mail-subject-confirmed = Bestätigt: { $title } mit { $coach }, { $when }
mail-subject-rescheduled = Verschoben: { $title } mit { $coach }, jetzt { $when }
mail-subject-cancelled = Storniert: { $title } mit { $coach }, { $when }
mail-subject-cancelled-by-coach = Abgesagt von { $coach }: { $title }, { $when }
mail-subject-declined = Abgelehnt: { $title } mit { $coach }, { $when }
mail-subject-reschedule-requested = Verschiebung angefragt: { $title } mit { $coach }, { $when }
mail-subject-reschedule-declined = Verschiebung abgelehnt: { $title } mit { $coach }
mail-subject-reschedule-lapsed = Verschiebungsanfrage verfallen: { $title } mit { $coach }
mail-subject-reschedule-withdrawn = Verschiebungsanfrage zurückgezogen: { $title } mit { $coach }
mail-subject-reminder = Erinnerung: { $title } mit { $coach }, { $when }

## Texte

mail-requested = vielen Dank für Ihre Anfrage. { $coach } wird sie bestätigen; Sie erhalten dann eine weitere E-Mail. Bis dahin ist die Zeit für Sie reserviert.
mail-booked = Ihr Termin ist gebucht. Die Einladung ist angehängt; fügen Sie sie Ihrem Kalender hinzu.
mail-confirmed = { $coach } hat Ihren Termin bestätigt. Die Einladung ist angehängt; fügen Sie sie Ihrem Kalender hinzu.
mail-moved = Ihr Termin wurde verschoben; die neue Zeit steht unten.
mail-moved-by-coach = { $coach } hat Ihren Termin verschoben; die neue Zeit steht unten.
mail-cancelled = Ihr Termin wurde wie gewünscht storniert.
mail-cancelled-by-coach = { $coach } hat Ihren Termin abgesagt. Antworten Sie gern auf diese E-Mail, wenn Sie Fragen haben.
mail-declined = { $coach } kann Ihre Anfrage für diese Zeit leider nicht annehmen, und die Zeit ist nicht mehr für Sie reserviert. Sie können gern eine andere Zeit auf der Buchungsseite wählen.
mail-reschedule-requested = { $coach } wurde gebeten, Ihren Termin auf die unten genannte Zeit zu verschieben. Bis zur Antwort bleibt Ihr Termin zur bisherigen Zeit, und die neue Zeit ist für Sie reserviert.
mail-reschedule-declined = { $coach } kann Ihre Anfrage, den Termin auf die unten genannte Zeit zu verschieben, leider nicht annehmen. Ihr Termin bleibt zur gebuchten Zeit.
mail-reschedule-lapsed = { $coach } hat auf Ihre Anfrage, den Termin auf die unten genannte Zeit zu verschieben, nicht rechtzeitig geantwortet; die Anfrage ist daher verfallen. Ihr Termin bleibt zur gebuchten Zeit.
mail-reschedule-withdrawn = Sie haben Ihre Anfrage, den Termin auf die unten genannte Zeit zu verschieben, zurückgezogen. Ihr Termin bleibt zur gebuchten Zeit.
mail-reschedule-approved = { $coach } hat Ihre neue Zeit angenommen; sie steht unten.
mail-reminder = zur Erinnerung: Ihr Termin mit { $coach } beginnt in { $in }.

## Warteliste

mail-waitlist-subject-joined = Warteliste: { $title } mit { $coach }, { $when }
mail-waitlist-joined = Sie stehen an Position { $n } der Warteliste für diesen Termin. Wird ein Platz frei, schreiben wir Ihnen und halten ihn eine Weile für Sie frei.
mail-waitlist-link-joined = Ihr Platz (oder die Warteliste verlassen)
mail-waitlist-subject-offered = Ein Platz ist frei: { $title } mit { $coach }, { $when }
mail-waitlist-offered = ein Platz ist frei geworden und bis { $until } für Sie reserviert. Übernehmen Sie ihn über den Link unten; danach geht er an die nächste Person auf der Warteliste.
mail-waitlist-link-offered = Platz übernehmen
mail-waitlist-subject-expired = Warteliste beendet: { $title } mit { $coach }, { $when }
mail-waitlist-expired = der für Sie reservierte Platz wurde nicht rechtzeitig übernommen, oder der Termin kann nicht mehr gebucht werden; Sie stehen daher nicht mehr auf der Warteliste. Sie können gern eine andere Zeit auf der Buchungsseite wählen.
mail-waitlist-link-expired = Ihr Platz

## A guardian's own lines, and who changed the booking (issue 11 §4)

mail-label-where = Ort
mail-view-link = Buchung ansehen
mail-guardian-about = es geht um den Termin von { $student }; Sie erhalten diese E-Mails als Elternteil oder erziehungsberechtigte Person.
mail-cancelled-by-guardian = { $guardian } (Ihr Elternteil bzw. Ihre erziehungsberechtigte Person) hat Ihren Termin storniert.
mail-cancelled-by-student = { $student } hat den Termin storniert.
mail-moved-by-guardian = { $guardian } (Ihr Elternteil bzw. Ihre erziehungsberechtigte Person) hat ihn verschoben.
mail-moved-by-student = { $student } hat ihn verschoben.
mail-guardian-reminder = zur Erinnerung: Der Termin von { $student } mit { $coach } beginnt in { $in }.
