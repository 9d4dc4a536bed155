# Vue du mois, vue du jour, choix du fuseau horaire, mises à jour en direct
# et « Ajouter au calendrier » des pages de réservation (voir locales/en/booking.ftl).

## Les créneaux libres d'un jour ou d'une semaine

slots-heading-day = Créneaux libres le { $day }
slots-heading-week = Créneaux libres, semaine du { $week }
slots-days = Jours
slots-previous-day = Jour précédent
slots-next-day = Jour suivant
slots-whole-week = Tous les créneaux libres de cette semaine
slots-caption-day = Créneaux libres le { $day }, en { $tz }
next-none-day = Aucun créneau libre ce jour-là.
next-none-week = Aucun créneau libre cette semaine.
next-available = Prochain créneau libre :
next-nothing = Rien n'est encore ouvert dans les mois à venir.

## La vue du mois

month-nav = Mois
month-previous = Mois précédent
month-next = Mois suivant
month-caption = Jours de { $month } ; les jours avec des créneaux libres sont des liens.
month-day-open = { $n ->
    [one] { $day }, un créneau libre
   *[other] { $day }, { $n } créneaux libres
}
month-empty = Aucun créneau libre en { $month }.

## Le choix du fuseau horaire

zone-times-in = Les heures sont indiquées en { $tz }.
zone-coach-in = { $coach } est en { $zone }.
zone-type-to-change = Saisissez une ville ou un fuseau pour le changer.
zone-unknown = « { $typed } » n'est pas un fuseau horaire connu. Saisissez une ville comme Paris ou un fuseau comme Europe/Paris.

## Mises à jour en direct des créneaux (avec JavaScript)

live-taken = Vient d'être réservé :
live-more = D'autres créneaux sont disponibles : rechargez la page pour les voir.
live-bad-from = « from » doit être une date (AAAA-MM-JJ) proche d'aujourd'hui.
live-bad-days = « days » doit être un nombre de 1 à { $max }.

## Ajouter au calendrier

add-heading = Ajouter à votre calendrier
add-ics-apps = : Calendrier Apple et autres applications
add-google = Google Agenda
add-outlook = Outlook.com
add-new-tab = (s'ouvre dans un nouvel onglet)

## Textes parent et série de la page de réservation

manage-guardian-follows = Vous suivez la réservation de { $student } en tant que parent ou tuteur. Ce lien l'affiche ; l'élève peut la modifier ou l'annuler avec son propre lien.
manage-guardian-read-only = Ce lien ne permet ni de déplacer ni d'annuler la réservation ; adressez-vous à l'élève ou au coach.
manage-series-change-dates = Déplacez ou annulez des dates isolées dans la liste ci-dessus.
