# Les pages publiques. Vouvoiement.

skip-to-content = Aller au contenu
lang-switch-label = Langue

## Libellés communs

label-what = Quoi
label-when = Quand
label-status = Statut
label-reference = Référence
label-name = Nom
label-price = Prix
session-with = { $title } avec { $coach }
field-your-name = Votre nom
field-your-email = Votre adresse e-mail
field-note = Un message pour votre coach ? (facultatif)
optional = (facultatif)
back-to-site = Retour à { $site }
price-free = gratuit

## Durées

duration-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
duration-hours = { $h } h
duration-minutes = { $m } min
duration-hours-minutes = { $h } h { $m } min

## États d'une réservation

status-confirmed = Confirmée
status-tentative = En attente de confirmation par le coach
status-cancelled = Annulée
deadline-moved = Cette réservation ne peut plus être déplacée en ligne (c'était possible jusqu'au { $until }). Veuillez contacter votre coach.
deadline-cancelled = Cette réservation ne peut plus être annulée en ligne (c'était possible jusqu'au { $until }). Veuillez contacter votre coach.

## Page d'accueil

front-nobody = Personne ne propose encore de réservation publique ici.
front-book-heading = Réserver une séance
front-own-calendar = Votre propre agenda
front-account-before = Vous avez un compte ici ?
front-connect-link = Connectez votre application d'agenda
front-account-after = (Calendrier Apple, Thunderbird, DAVx⁵, Outlook).

## Page d'un coach

coach-title = Réserver avec { $coach }
coach-heading = Réserver une séance avec { $coach }
coach-nothing = Il n'y a rien à réserver pour le moment.
coach-group-session = { $n ->
    [one] séance de groupe, jusqu'à { $n } personne
   *[other] séance de groupe, jusqu'à { $n } personnes
}
coach-see-times = Voir les créneaux libres
coach-see-times-for = pour { $title }

## Les créneaux d'une semaine

slots-rescheduling = choisissez un nouvel horaire pour la réservation { $reference }
slots-show-times-in = Afficher les heures en
slots-show = Afficher
slots-weeks = Semaines
slots-previous-week = Semaine précédente
slots-next-week = Semaine suivante
slots-caption = Créneaux libres, semaine du { $week }, en { $tz }
slots-no-times = Aucun créneau libre
slots-seats-left = { $left ->
    [one] { $left } place libre sur { $seats }
   *[other] { $left } places libres sur { $seats }
}
slots-full-heading = Séances complètes : liste d'attente
slots-full-hint = Si une place se libère, elle est réservée pour la première personne en attente, qui reçoit un e-mail pour la prendre.
slots-full-legend = { $when } ({ $tz }) est complet
slots-join-waitlist = M'inscrire sur la liste d'attente pour { $when }

## Vos coordonnées

hold-title = Vos coordonnées
hold-move-title = Déplacer votre séance « { $title } » à cet horaire ?
hold-held-until = { $when } ({ $tz }) vous est réservé jusqu'à { $expires }.
hold-choose = Choisissez…
hold-submit-book = Réserver
hold-submit-move = Déplacer ma réservation
hold-submit-ask-move = Demander au coach de déplacer ma réservation

## Votre réservation

booking-title = Réservation { $reference }
manage-heading-confirmed = Votre réservation
manage-heading-requested = Réservation demandée
manage-heading-cancelled = Réservation annulée
manage-done-booked = C'est réservé. Une confirmation est en route vers votre boîte de réception.
manage-done-requested-booking = Votre demande est bien arrivée. Le coach la confirmera ; vous recevrez un e-mail.
manage-done-moved = Votre réservation a été déplacée.
manage-done-requested-move = Votre coach a été invité à déplacer la séance ; vous recevrez un e-mail dès sa réponse.
manage-request-approved = Votre coach a accepté de déplacer cette séance au { $when } ; la réservation sera déplacée dans un instant.
manage-request-waiting = Vous avez demandé à déplacer cette séance au { $when }. La demande attend le coach ; sans réponse, elle expire le { $lapses }.
manage-request-withdrawn = Votre demande de changement est retirée ; votre réservation reste à son horaire.
manage-cancel-open = Cette réservation peut être annulée en ligne jusqu'au { $until }.
manage-cancelled = Votre réservation est annulée.
manage-too-late-to-cancel = Il est trop tard pour annuler en ligne : c'était possible jusqu'au { $deadline }.
booking-series-link = Toutes les dates de cette série
booking-series-hint = (voir ou annuler une date)
booking-add-to-calendar = Ajouter à l'agenda (.ics)
booking-feed-before = Ou abonnez-vous à
booking-feed-link = cette séance comme flux d'agenda
booking-feed-after = (les parents aussi) : les applications d'agenda suivent alors ses déplacements ou son annulation.
booking-change-heading = Modifier ou annuler
booking-keep-link = Gardez l'adresse de cette page : c'est votre lien pour gérer la réservation.
booking-request-heading = Demande de changement d'horaire
booking-withdraw = Retirer la demande
booking-choose-another = Choisir un autre horaire
booking-cancel = Annuler cette réservation

## Les dates d'une série

series-title = Votre série : { $title }
series-heading = Votre série : { $title } avec { $coach }
series-caption = Toutes les dates de la série ({ $tz })
series-change-column = Modifier
series-cancel-date = Annuler cette date
series-cancel-date-label = Annuler le { $when }
series-cancel-all = Annuler toutes les dates restantes
series-back = Retour à votre réservation
series-date-cancelled = Cette date est annulée.
series-all-cancelled = Toutes les dates restantes sont annulées.
series-invalid-date = La date n'est pas valide.

## Liste d'attente

waitlist-title = Liste d'attente : { $title }
waitlist-waiting = Vous êtes sur la liste d'attente. Si une place se libère, nous vous écrirons et vous la garderons quelque temps.
waitlist-waiting-number = Vous êtes sur la liste d'attente, en position { $n }. Si une place se libère, nous vous écrirons et vous la garderons quelque temps.
waitlist-offered = Une place est libre et vous est réservée jusqu'au { $expires }.
waitlist-claim = Prendre ma place
waitlist-claimed = Vous avez réservé cette séance ; l'e-mail de réservation contient le lien pour la gérer.
waitlist-expired = La place qui vous était réservée n'a pas été prise à temps, ou la séance ne peut plus être réservée. Vous n'êtes plus sur la liste d'attente.
waitlist-left = Vous avez quitté la liste d'attente.
waitlist-pass-on = Non merci, laisser la place
waitlist-leave = Quitter la liste d'attente

## Connecter un agenda

connect-title = Connecter votre agenda
connect-heading = Connectez votre agenda à { $site }
connect-intro = Les applications d'agenda compatibles CalDAV synchronisent vos agendas d'ici. L'adresse à leur donner :
connect-sign-in = Connectez-vous avec votre nom d'utilisateur et votre mot de passe { $site }. Sur iPhone, iPad ou Mac, vous pouvez plutôt
connect-profile-link = télécharger un profil de configuration
connect-profile-after = (il vous demande de vous connecter ; le mot de passe n'y est pas enregistré).
connect-feeds-before = Vous voulez un agenda dans Outlook ou Google Agenda, en abonnement en lecture seule ?
connect-feeds-link = Vos liens de flux
connect-feeds-after = (connexion avec votre nom d'utilisateur et votre mot de passe).
connect-apple-name = Calendrier Apple sur iPhone, iPad ou Mac
connect-apple-1 = Le plus simple : ouvrez { $path } sur l'appareil, connectez-vous et installez le profil téléchargé (iPhone/iPad : Réglages → Profil téléchargé → Installer ; Mac : Réglages Système → Confidentialité et sécurité → Profils), en saisissant votre mot de passe quand il est demandé.
connect-apple-2 = Ou à la main sur iPhone/iPad : Réglages → Apps → Calendrier → Comptes de calendrier → Ajouter un compte → Autre → Ajouter un compte CalDAV.
connect-apple-3 = À la main sur Mac : Calendrier → Réglages → Comptes → + → Autre compte CalDAV…, type de compte Manuel.
connect-apple-4 = Serveur : { $url } · Nom d'utilisateur et mot de passe : votre compte slotdav.
connect-thunderbird-name = Thunderbird
connect-thunderbird-1 = Ouvrez l'onglet Agenda, puis Nouvel agenda… → Sur le réseau.
connect-thunderbird-2 = Nom d'utilisateur : votre nom d'utilisateur slotdav ; Adresse : { $url } ; puis Rechercher des agendas.
connect-thunderbird-3 = Saisissez votre mot de passe quand il est demandé, cochez les agendas à afficher, puis S'abonner.
connect-davx5-name = DAVx⁵ (Android)
connect-davx5-1 = Touchez + → Connexion avec une URL et un nom d'utilisateur.
connect-davx5-2 = URL de base : { $url } ; nom d'utilisateur et mot de passe : votre compte slotdav ; Se connecter.
connect-davx5-3 = Créez le compte, ouvrez-le et cochez les agendas à synchroniser ; ils apparaissent dans votre application d'agenda.
connect-outlook-name = Outlook sous Windows (complément CalDAV Synchronizer)
connect-outlook-1 = Installez CalDAV Synchronizer, puis dans Outlook : CalDav Synchronizer → Synchronization Profiles → Add new profile → Generic CalDAV/CardDAV.
connect-outlook-2 = DAV URL : { $url } ; nom d'utilisateur et mot de passe : votre compte slotdav ; puis « Test or discover settings » et choisissez un agenda.
connect-outlook-3 = Choisissez le dossier d'agenda Outlook à synchroniser, puis OK.
feeds-title = Vos flux d'agenda
feeds-heading = Flux d'agenda de { $user }
feeds-intro = Toute personne ayant l'un de ces liens secrets peut lire cet agenda : ne les donnez qu'aux applications que vous utilisez.
feeds-how = Outlook : Ajouter un calendrier → S'abonner à partir du web, puis collez le lien. Google Agenda : Autres agendas → + → À partir de l'URL.
feeds-none-before = Vous n'avez publié aucun agenda. Un administrateur exécute
feeds-none-after = pour en publier un.
feeds-subscribe = S'abonner
feeds-subscribe-to = à { $calendar }
feeds-back = Retour à la connexion de votre agenda

## Textes d'agenda de la réservation

ics-note-from = Message de { $name } : { $note }
ics-booking = Réservation { $reference } · { $price }
ics-manage = Gérer : { $url }

## Recurring series: the dates, the repeat form, moving every remaining date (issue 11 §2)

series-when-column = Quand
series-status-column = Statut
series-move-date = Déplacer cette date
booking-series-heading = Toutes les dates
series-some-cancelled =
    { $n ->
    [one] Une date est annulée.
    *[other] { $n } dates sont annulées.
    } Trop proches pour être annulées en ligne, toujours réservées : { $kept }.
series-move-all-heading = Déplacer toutes les dates restantes
series-move-all-hint = Choisissez le nouvel horaire de la prochaine date ({ $first }). Toutes les dates suivantes suivent : même jour de la semaine, même heure, même écart en semaines.
series-move-all-week = Horaires libres de la semaine du { $week }
series-move-all-label = Nouvel horaire de la prochaine date
series-move-all-submit = Déplacer toutes les dates restantes
series-move-all-none = Aucun horaire libre cette semaine.
series-move-all-earlier = Semaine précédente
series-move-all-later = Semaine suivante
series-move-all-approval = Le coach approuve chaque déplacement de ce type de séance : déplacez les dates une par une.
series-all-moved = Toutes les dates restantes sont déplacées.
series-some-moved =
    { $n ->
    [one] Une date est déplacée.
    *[other] { $n } dates sont déplacées.
    } Trop proches pour être déplacées en ligne, toujours à leur horaire : { $kept }.
series-move-conflicts = Rien n’a été déplacé : ces nouvelles dates ne sont pas libres : { $dates }. Veuillez choisir un autre horaire.
series-move-invalid = Choisissez l’un des horaires libres proposés.
series-too-late-to-move = Il est trop tard pour déplacer ces dates en ligne : c’était possible jusqu’au { $deadline }.
repeat-heading = Répéter
repeat-held = Ces { $n } dates vous sont réservées :
repeat-not-free = Dates qui ne sont pas libres
repeat-leave-out = Omettre : { $when }
repeat-every-label = Fréquence
repeat-count-label = Nombre de séances en tout
repeat-hold = Réserver ces dates
repeat-retry = Réessayer sans les dates cochées
repeat-once = Seulement cette date
repeat-every =
    { $n ->
    [one] Chaque semaine
    *[other] Toutes les { $n } semaines
    }
repeat-error-count = Indiquez le nombre de séances en chiffres.
repeat-error-skips = Vous pouvez omettre au plus { $n } dates.
repeat-error-skip = Une date à omettre n’est pas valide.
repeat-error-invalid = Choisissez la fréquence dans la liste, et entre 2 et { $max } séances en tout.
repeat-cannot = Cette réservation ne peut pas être répétée.
repeat-conflicts =
    { $n ->
    [one] L’une de ces dates n’est pas libre. Omettez-la (cochée ci-dessous) et réessayez, ou choisissez un autre horaire.
    *[other] { $n } de ces dates ne sont pas libres. Omettez-les (cochées ci-dessous) et réessayez, ou choisissez un autre horaire.
    }
guardian-legend = Parent ou tuteur
guardian-optional = (facultatif)
guardian-hint = Cette personne reçoit l’invitation, chaque modification et les rappels, ainsi que son propre lien vers la réservation.
guardian-name = Son nom
guardian-email = Son adresse e-mail
label-duration = Durée
label-where = Lieu
embed-book-with = Réserver une séance avec { $coach }

## The repeat form's errors

repeat-error-every = Choisissez la fréquence dans la liste.

## Where a session takes place (issue 12 §3)

location-in-person = En personne
location-phone = Par téléphone
location-video = Appel vidéo
location-video-later = le lien vous parvient avec votre réservation
location-video-own-later = votre lien personnel vous parvient avec votre réservation

## Moving every remaining date: the week links

series-move-all-week-nav = Autres semaines
