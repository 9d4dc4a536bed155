# Las páginas públicas. Tratamiento: usted.

skip-to-content = Saltar al contenido
lang-switch-label = Idioma

## Etiquetas comunes

label-what = Qué
label-when = Cuándo
label-status = Estado
label-reference = Referencia
label-name = Nombre
label-price = Precio
session-with = { $title } con { $coach }
field-your-name = Su nombre
field-your-email = Su correo electrónico
field-note = ¿Algo que su coach deba saber? (opcional)
optional = (opcional)
back-to-site = Volver a { $site }
price-free = gratis

## Duraciones

duration-days = { $n ->
    [one] { $n } día
   *[other] { $n } días
}
duration-hours = { $h } h
duration-minutes = { $m } min
duration-hours-minutes = { $h } h { $m } min

## Estados de una reserva

status-confirmed = Confirmada
status-tentative = Pendiente de confirmación por el coach
status-cancelled = Cancelada
deadline-moved = Esta reserva ya no se puede cambiar en línea (era posible hasta el { $until }). Póngase en contacto con su coach.
deadline-cancelled = Esta reserva ya no se puede cancelar en línea (era posible hasta el { $until }). Póngase en contacto con su coach.

## Página de inicio

front-nobody = Aquí todavía nadie ofrece reservas públicas.
front-book-heading = Reservar una sesión
front-own-calendar = Su propio calendario
front-account-before = ¿Tiene una cuenta aquí?
front-connect-link = Conecte su aplicación de calendario
front-account-after = (Calendario de Apple, Thunderbird, DAVx⁵, Outlook).

## Página de un coach

coach-title = Reservar con { $coach }
coach-heading = Reservar una sesión con { $coach }
coach-nothing = Ahora mismo no hay nada que reservar.
coach-group-session = { $n ->
    [one] sesión de grupo, hasta { $n } persona
   *[other] sesión de grupo, hasta { $n } personas
}
coach-see-times = Ver horarios libres
coach-see-times-for = para { $title }

## Los horarios de una semana

slots-rescheduling = elija una nueva hora para la reserva { $reference }
slots-show-times-in = Mostrar las horas en
slots-show = Mostrar
slots-weeks = Semanas
slots-previous-week = Semana anterior
slots-next-week = Semana siguiente
slots-caption = Horarios libres, semana del { $week }, en { $tz }
slots-no-times = Sin horarios libres
slots-seats-left = { $left ->
    [one] { $left } plaza libre de { $seats }
   *[other] { $left } plazas libres de { $seats }
}
slots-full-heading = Sesiones completas: lista de espera
slots-full-hint = Si se libera una plaza, se reserva para la primera persona en espera, que recibe un correo para ocuparla.
slots-full-legend = { $when } ({ $tz }) está completa
slots-join-waitlist = Apuntarme a la lista de espera para { $when }

## Sus datos

hold-title = Sus datos
hold-move-title = ¿Cambiar su sesión «{ $title }» a esta hora?
hold-held-until = { $when } ({ $tz }) está reservado para usted hasta las { $expires }.
hold-choose = Elija…
hold-submit-book = Reservar
hold-submit-move = Cambiar mi reserva
hold-submit-ask-move = Pedir al coach que cambie mi reserva

## Su reserva

booking-title = Reserva { $reference }
manage-heading-confirmed = Su reserva
manage-heading-requested = Reserva solicitada
manage-heading-cancelled = Reserva cancelada
manage-done-booked = Su reserva está hecha. Le hemos enviado una confirmación por correo.
manage-done-requested-booking = Hemos recibido su solicitud. El coach la confirmará; recibirá un correo.
manage-done-moved = Su reserva se ha cambiado.
manage-done-requested-move = Se ha pedido a su coach que cambie la sesión; recibirá un correo cuando responda.
manage-request-approved = Su coach ha aceptado cambiar esta sesión al { $when }; la reserva se cambia en un momento.
manage-request-waiting = Ha pedido cambiar esta sesión al { $when }. La solicitud espera al coach; si no hay respuesta, caduca el { $lapses }.
manage-request-withdrawn = Su solicitud de cambio está retirada; su reserva se mantiene a su hora.
manage-cancel-open = Esta reserva se puede cancelar en línea hasta el { $until }.
manage-cancelled = Su reserva está cancelada.
manage-too-late-to-cancel = Es demasiado tarde para cancelar en línea: era posible hasta el { $deadline }.
booking-series-link = Todas las fechas de esta serie
booking-series-hint = (ver o cancelar fechas sueltas)
booking-add-to-calendar = Añadir al calendario (.ics)
booking-feed-before = O suscríbase a
booking-feed-link = esta sesión como calendario
booking-feed-after = (también los padres): las aplicaciones de calendario reflejan entonces si se cambia o se cancela.
booking-change-heading = Cambiar o cancelar
booking-keep-link = Guarde la dirección de esta página: es su enlace para gestionar la reserva.
booking-request-heading = Solicitud de cambio de hora
booking-withdraw = Retirar la solicitud
booking-choose-another = Elegir otra hora
booking-cancel = Cancelar esta reserva

## Las fechas de una serie

series-title = Su serie: { $title }
series-heading = Su serie: { $title } con { $coach }
series-caption = Todas las fechas de la serie ({ $tz })
series-change-column = Cambiar
series-cancel-date = Cancelar esta fecha
series-cancel-date-label = Cancelar el { $when }
series-cancel-all = Cancelar todas las fechas restantes
series-back = Volver a su reserva
series-date-cancelled = Esa fecha está cancelada.
series-all-cancelled = Todas las fechas restantes están canceladas.
series-invalid-date = La fecha no es válida.

## Lista de espera

waitlist-title = Lista de espera: { $title }
waitlist-waiting = Está en la lista de espera. Si se libera una plaza, le escribiremos y se la guardaremos durante un tiempo.
waitlist-waiting-number = Está en la lista de espera, en el puesto { $n }. Si se libera una plaza, le escribiremos y se la guardaremos durante un tiempo.
waitlist-offered = Hay una plaza libre reservada para usted hasta el { $expires }.
waitlist-claim = Ocupar mi plaza
waitlist-claimed = Ha reservado esta sesión; el correo de la reserva tiene el enlace para gestionarla.
waitlist-expired = La plaza reservada para usted no se ocupó a tiempo, o la sesión ya no se puede reservar. Ya no está en la lista de espera.
waitlist-left = Ha salido de la lista de espera.
waitlist-pass-on = No, gracias, cederla
waitlist-leave = Salir de la lista de espera

## Conectar un calendario

connect-title = Conecte su calendario
connect-heading = Conecte su calendario con { $site }
connect-intro = Las aplicaciones de calendario compatibles con CalDAV mantienen sincronizados sus calendarios de aquí. La dirección que debe indicarles:
connect-sign-in = Inicie sesión con su nombre de usuario y contraseña de { $site }. En un iPhone, iPad o Mac también puede
connect-profile-link = descargar un perfil de configuración
connect-profile-after = (le pide iniciar sesión; la contraseña no se guarda en él).
connect-feeds-before = ¿Quiere un calendario en Outlook o Google Calendar como suscripción de solo lectura?
connect-feeds-link = Sus enlaces de calendario
connect-feeds-after = (inicie sesión con su nombre de usuario y contraseña).
connect-apple-name = Calendario de Apple en iPhone, iPad o Mac
connect-apple-1 = Lo más sencillo: abra { $path } en el dispositivo, inicie sesión e instale el perfil descargado (iPhone/iPad: Ajustes → Perfil descargado → Instalar; Mac: Ajustes del Sistema → Privacidad y seguridad → Perfiles), introduciendo su contraseña cuando se le pida.
connect-apple-2 = O a mano en iPhone/iPad: Ajustes → Apps → Calendario → Cuentas de calendario → Añadir cuenta → Otra → Añadir cuenta CalDAV.
connect-apple-3 = A mano en un Mac: Calendario → Ajustes → Cuentas → + → Otra cuenta CalDAV…, tipo de cuenta Manual.
connect-apple-4 = Servidor: { $url } · Nombre de usuario y contraseña: su cuenta de slotdav.
connect-thunderbird-name = Thunderbird
connect-thunderbird-1 = Abra la pestaña Calendario y luego Nuevo calendario… → En la red.
connect-thunderbird-2 = Nombre de usuario: su usuario de slotdav; Ubicación: { $url }; luego Buscar calendarios.
connect-thunderbird-3 = Introduzca su contraseña cuando se le pida, marque los calendarios que quiera ver y pulse Suscribirse.
connect-davx5-name = DAVx⁵ (Android)
connect-davx5-1 = Toque + → Iniciar sesión con URL y nombre de usuario.
connect-davx5-2 = URL base: { $url }; nombre de usuario y contraseña: su cuenta de slotdav; Iniciar sesión.
connect-davx5-3 = Cree la cuenta, ábrala y marque los calendarios que quiera sincronizar; aparecerán en su aplicación de calendario.
connect-outlook-name = Outlook en Windows (complemento CalDAV Synchronizer)
connect-outlook-1 = Instale CalDAV Synchronizer y, en Outlook: CalDav Synchronizer → Synchronization Profiles → Add new profile → Generic CalDAV/CardDAV.
connect-outlook-2 = DAV URL: { $url }; nombre de usuario y contraseña: su cuenta de slotdav; luego «Test or discover settings» y elija un calendario.
connect-outlook-3 = Elija la carpeta de calendario de Outlook que quiera mantener sincronizada y pulse OK.
feeds-title = Sus calendarios publicados
feeds-heading = Calendarios publicados de { $user }
feeds-intro = Quien tenga uno de estos enlaces secretos puede leer ese calendario; compártalos solo con las aplicaciones que use.
feeds-how = Outlook: Agregar calendario → Suscribirse desde la web, y pegue el enlace. Google Calendar: Otros calendarios → + → Desde URL.
feeds-none-before = No ha publicado ningún calendario. Un administrador ejecuta
feeds-none-after = para publicar uno.
feeds-subscribe = Suscribirse
feeds-subscribe-to = a { $calendar }
feeds-back = Volver a «Conecte su calendario»

## Textos de calendario de la reserva

ics-note-from = Mensaje de { $name }: { $note }
ics-booking = Reserva { $reference } · { $price }
ics-manage = Gestionar: { $url }

## Recurring series: the dates, the repeat form, moving every remaining date (issue 11 §2)

series-when-column = Cuándo
series-status-column = Estado
series-move-date = Mover esta fecha
booking-series-heading = Todas las fechas
series-some-cancelled =
    { $n ->
    [one] Se ha cancelado una fecha.
    *[other] Se han cancelado { $n } fechas.
    } Demasiado próximas para cancelarlas en línea, siguen reservadas: { $kept }.
series-move-all-heading = Mover todas las fechas restantes
series-move-all-hint = Elija la nueva hora de la próxima fecha ({ $first }). Todas las fechas posteriores se mueven con ella: el mismo día de la semana, la misma hora y las mismas semanas de separación.
series-move-all-week = Horas libres de la semana del { $week }
series-move-all-label = Nueva hora de la próxima fecha
series-move-all-submit = Mover todas las fechas restantes
series-move-all-none = No hay horas libres esta semana.
series-move-all-earlier = Semana anterior
series-move-all-later = Semana siguiente
series-move-all-approval = El coach aprueba cada cambio de este tipo de sesión: mueva las fechas una a una.
series-all-moved = Se han movido todas las fechas restantes.
series-some-moved =
    { $n ->
    [one] Se ha movido una fecha.
    *[other] Se han movido { $n } fechas.
    } Demasiado próximas para moverlas en línea, siguen a su hora: { $kept }.
series-move-conflicts = No se ha movido nada: estas nuevas fechas no están libres: { $dates }. Elija otra hora.
series-move-invalid = Elija una de las horas libres de la lista.
series-too-late-to-move = Es demasiado tarde para mover estas fechas en línea: era posible hasta el { $deadline }.
repeat-heading = Repetir
repeat-held = Estas { $n } fechas están reservadas para usted:
repeat-not-free = Fechas que no están libres
repeat-leave-out = Omitir { $when }
repeat-every-label = Frecuencia
repeat-count-label = Número de sesiones en total
repeat-hold = Reservar estas fechas
repeat-retry = Intentarlo de nuevo sin las fechas marcadas
repeat-once = Solo esta fecha
repeat-every =
    { $n ->
    [one] Cada semana
    *[other] Cada { $n } semanas
    }
repeat-error-count = Indique el número de sesiones con una cifra.
repeat-error-skips = Se pueden omitir como máximo { $n } fechas.
repeat-error-skip = Una fecha para omitir no es válida.
repeat-error-invalid = Elija la frecuencia de la lista y entre 2 y { $max } sesiones en total.
repeat-cannot = Esta reserva no se puede repetir.
repeat-conflicts =
    { $n ->
    [one] Una de estas fechas no está libre. Omítala (marcada abajo) e inténtelo de nuevo, o elija otra hora.
    *[other] { $n } de estas fechas no están libres. Omítalas (marcadas abajo) e inténtelo de nuevo, o elija otra hora.
    }
guardian-legend = Padre, madre o tutor
guardian-optional = (opcional)
guardian-hint = Esta persona recibe la invitación, cada cambio y los recordatorios, y su propio enlace a la reserva.
guardian-name = Su nombre
guardian-email = Su correo electrónico
label-duration = Duración
label-where = Lugar
embed-book-with = Reservar una sesión con { $coach }

## The repeat form's errors

repeat-error-every = Elija la frecuencia de la lista.

## Where a session takes place (issue 12 §3)

location-in-person = En persona
location-phone = Por teléfono
location-video = Videollamada
location-video-later = el enlace llega con su reserva
location-video-own-later = su enlace personal llega con su reserva

## Moving every remaining date: the week links

series-move-all-week-nav = Otras semanas
