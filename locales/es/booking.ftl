# Vista del mes, vista del día, selector de zona horaria, actualizaciones en
# directo y «Añadir al calendario» de las páginas de reserva (véase locales/en/booking.ftl).

## Los horarios libres de un día o una semana

slots-heading-day = Horarios libres el { $day }
slots-heading-week = Horarios libres, semana del { $week }
slots-days = Días
slots-previous-day = Día anterior
slots-next-day = Día siguiente
slots-whole-week = Todos los horarios libres de esta semana
slots-caption-day = Horarios libres el { $day }, en { $tz }
next-none-day = No hay horarios libres este día.
next-none-week = No hay horarios libres esta semana.
next-available = Próximo horario libre:
next-nothing = Todavía no hay nada libre en los próximos meses.

## La vista del mes

month-nav = Meses
month-previous = Mes anterior
month-next = Mes siguiente
month-caption = Días de { $month }; los días con horarios libres son enlaces.
month-day-open = { $n ->
    [one] { $day }, un horario libre
   *[other] { $day }, { $n } horarios libres
}
month-empty = No hay horarios libres en { $month }.

## El selector de zona horaria

zone-times-in = Las horas están en { $tz }.
zone-coach-in = { $coach } está en { $zone }.
zone-type-to-change = Escriba una ciudad o una zona para cambiarla.
zone-unknown = «{ $typed }» no es una zona horaria que conozcamos. Escriba una ciudad como Madrid o una zona como Europe/Madrid.

## Actualizaciones en directo de los horarios (con JavaScript)

live-taken = Recién reservado:
live-more = Hay más horarios libres: recargue la página para verlos.
live-bad-from = «from» debe ser una fecha (AAAA-MM-DD) cercana a hoy.
live-bad-days = «days» debe ser un número del 1 al { $max }.

## Añadir al calendario

add-heading = Añadir a su calendario
add-ics-apps = : Calendario de Apple y otras aplicaciones
add-google = Google Calendar
add-outlook = Outlook.com
add-new-tab = (se abre en una pestaña nueva)

## Textos de tutor y serie de la página de reserva

manage-guardian-follows = Sigue la reserva de { $student } como padre, madre o tutor. Este enlace la muestra; el alumno puede cambiarla o cancelarla con su propio enlace.
manage-guardian-read-only = Este enlace no permite mover ni cancelar la reserva; consulte al alumno o al coach.
manage-series-change-dates = Mueva o cancele fechas sueltas en la lista de arriba.
