# Les e-mails aux élèves. Vouvoiement. Après « Bonjour …, » le texte commence par une majuscule.

mail-hello = Bonjour { $name },
mail-signature = envoyé par slotdav
mail-label-what = Quoi
mail-label-when = Quand
mail-label-with = Avec
mail-label-reference = Référence
mail-label-price = Prix
mail-manage-link = Déplacer ou annuler
mail-coach-wrote =
    { $coach } a écrit :
    { $message }

## Objets

mail-subject-requested = Demande reçue : { $title } avec { $coach }, { $when }
mail-subject-booked = Réservé : { $title } avec { $coach }, { $when }
mail-subject-confirmed = Confirmé : { $title } avec { $coach }, { $when }
mail-subject-rescheduled = Déplacé : { $title } avec { $coach }, désormais { $when }
mail-subject-cancelled = Annulé : { $title } avec { $coach }, { $when }
mail-subject-cancelled-by-coach = Annulé par { $coach } : { $title }, { $when }
mail-subject-declined = Refusé : { $title } avec { $coach }, { $when }
mail-subject-reschedule-requested = Changement d'horaire demandé : { $title } avec { $coach }, { $when }
mail-subject-reschedule-declined = Changement d'horaire refusé : { $title } avec { $coach }
mail-subject-reschedule-lapsed = Demande de changement expirée : { $title } avec { $coach }
mail-subject-reschedule-withdrawn = Demande de changement retirée : { $title } avec { $coach }
mail-subject-reminder = Rappel : { $title } avec { $coach }, { $when }

## Textes

mail-requested = Merci pour votre demande. { $coach } la confirmera ; vous recevrez alors un autre e-mail. D'ici là, le créneau vous est réservé.
mail-booked = Votre séance est réservée. L'invitation est jointe ; ajoutez-la à votre agenda.
mail-confirmed = { $coach } a confirmé votre séance. L'invitation est jointe ; ajoutez-la à votre agenda.
mail-moved = Votre séance a été déplacée ; le nouvel horaire figure ci-dessous.
mail-moved-by-coach = { $coach } a déplacé votre séance ; le nouvel horaire figure ci-dessous.
mail-cancelled = Votre séance a été annulée comme vous l'avez demandé.
mail-cancelled-by-coach = { $coach } a annulé votre séance. N'hésitez pas à répondre à cet e-mail si vous avez des questions.
mail-declined = { $coach } ne peut pas accepter votre demande pour cet horaire, et le créneau ne vous est plus réservé. Vous pouvez choisir un autre horaire sur la page de réservation.
mail-reschedule-requested = { $coach } a été invité à déplacer votre séance à l'horaire ci-dessous. En attendant sa réponse, votre séance reste à son horaire actuel et le nouvel horaire vous est réservé.
mail-reschedule-declined = { $coach } ne peut pas accepter votre demande de déplacer votre séance à l'horaire ci-dessous. Votre séance reste à l'horaire réservé.
mail-reschedule-lapsed = { $coach } n'a pas répondu à temps à votre demande de déplacer votre séance à l'horaire ci-dessous ; la demande a donc expiré. Votre séance reste à l'horaire réservé.
mail-reschedule-withdrawn = Vous avez retiré votre demande de déplacer votre séance à l'horaire ci-dessous. Votre séance reste à l'horaire réservé.
mail-reschedule-approved = { $coach } a accepté votre nouvel horaire ; il figure ci-dessous.
mail-reminder = Petit rappel : votre séance avec { $coach } commence dans { $in }.

## Liste d'attente

mail-waitlist-subject-joined = Liste d'attente : { $title } avec { $coach }, { $when }
mail-waitlist-joined = Vous êtes en position { $n } sur la liste d'attente de cette séance. Si une place se libère, nous vous écrirons et vous la garderons quelque temps.
mail-waitlist-link-joined = Votre place (ou quitter la liste d'attente)
mail-waitlist-subject-offered = Une place est libre : { $title } avec { $coach }, { $when }
mail-waitlist-offered = Une place s'est libérée et vous est réservée jusqu'au { $until }. Prenez-la avec le lien ci-dessous ; ensuite, elle ira à la personne suivante.
mail-waitlist-link-offered = Prendre votre place
mail-waitlist-subject-expired = Fin de l'attente : { $title } avec { $coach }, { $when }
mail-waitlist-expired = La place qui vous était réservée n'a pas été prise à temps, ou la séance ne peut plus être réservée : vous n'êtes donc plus sur la liste d'attente. Vous pouvez choisir un autre horaire sur la page de réservation.
mail-waitlist-link-expired = Votre place

## A guardian's own lines, and who changed the booking (issue 11 §4)

mail-label-where = Lieu
mail-view-link = Voir la réservation
mail-guardian-about = ce message concerne la séance de { $student } ; vous recevez ces e-mails en tant que parent ou tuteur.
mail-cancelled-by-guardian = { $guardian } (votre parent ou tuteur) a annulé votre séance.
mail-cancelled-by-student = { $student } a annulé la séance.
mail-moved-by-guardian = { $guardian } (votre parent ou tuteur) l’a déplacée.
mail-moved-by-student = { $student } l’a déplacée.
mail-guardian-reminder = Petit rappel : la séance de { $student } avec { $coach } commence dans { $in }.
