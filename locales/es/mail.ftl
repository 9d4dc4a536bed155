# Los correos a los alumnos. Tratamiento: usted.

mail-hello = Hola, { $name }:
mail-signature = enviado por slotdav
mail-label-what = Qué
mail-label-when = Cuándo
mail-label-with = Con
mail-label-reference = Referencia
mail-label-price = Precio
mail-manage-link = Cambiar o cancelar
mail-coach-wrote =
    { $coach } escribió:
    { $message }

## Asuntos

mail-subject-requested = Solicitud recibida: { $title } con { $coach }, { $when }
mail-subject-booked = Reservado: { $title } con { $coach }, { $when }
mail-subject-confirmed = Confirmado: { $title } con { $coach }, { $when }
mail-subject-rescheduled = Cambiado: { $title } con { $coach }, ahora { $when }
mail-subject-cancelled = Cancelado: { $title } con { $coach }, { $when }
mail-subject-cancelled-by-coach = Cancelado por { $coach }: { $title }, { $when }
mail-subject-declined = Rechazado: { $title } con { $coach }, { $when }
mail-subject-reschedule-requested = Cambio de hora solicitado: { $title } con { $coach }, { $when }
mail-subject-reschedule-declined = Cambio de hora rechazado: { $title } con { $coach }
mail-subject-reschedule-lapsed = Solicitud de cambio caducada: { $title } con { $coach }
mail-subject-reschedule-withdrawn = Solicitud de cambio retirada: { $title } con { $coach }
mail-subject-reminder = Recordatorio: { $title } con { $coach }, { $when }

## Textos

mail-requested = Gracias por su solicitud. { $coach } la confirmará; entonces recibirá otro correo. Hasta entonces, la hora queda reservada para usted.
mail-booked = Su sesión está reservada. La invitación va adjunta; añádala a su calendario.
mail-confirmed = { $coach } ha confirmado su sesión. La invitación va adjunta; añádala a su calendario.
mail-moved = Su sesión se ha cambiado; la nueva hora figura abajo.
mail-moved-by-coach = { $coach } ha cambiado su sesión; la nueva hora figura abajo.
mail-cancelled = Su sesión se ha cancelado, como pidió.
mail-cancelled-by-coach = { $coach } ha cancelado su sesión. Si tiene preguntas, responda a este correo.
mail-declined = { $coach } no puede aceptar su solicitud para esta hora, y la hora ya no está reservada para usted. Puede elegir otra hora en la página de reservas.
mail-reschedule-requested = Se ha pedido a { $coach } que cambie su sesión a la hora indicada abajo. Hasta que responda, su sesión sigue a la hora actual y la nueva hora queda reservada para usted.
mail-reschedule-declined = { $coach } no puede aceptar su solicitud de cambiar la sesión a la hora indicada abajo. Su sesión sigue a la hora reservada.
mail-reschedule-lapsed = { $coach } no respondió a tiempo a su solicitud de cambiar la sesión a la hora indicada abajo, así que la solicitud ha caducado. Su sesión sigue a la hora reservada.
mail-reschedule-withdrawn = Ha retirado su solicitud de cambiar la sesión a la hora indicada abajo. Su sesión sigue a la hora reservada.
mail-reschedule-approved = { $coach } ha aceptado su nueva hora; figura abajo.
mail-reminder = Le recordamos que su sesión con { $coach } empieza dentro de { $in }.

## Lista de espera

mail-waitlist-subject-joined = Lista de espera: { $title } con { $coach }, { $when }
mail-waitlist-joined = Está en el puesto { $n } de la lista de espera de esta sesión. Si se libera una plaza, le escribiremos y se la guardaremos durante un tiempo.
mail-waitlist-link-joined = Su plaza (o salir de la lista de espera)
mail-waitlist-subject-offered = Hay una plaza libre: { $title } con { $coach }, { $when }
mail-waitlist-offered = Se ha liberado una plaza y está reservada para usted hasta el { $until }. Ocúpela con el enlace de abajo; después pasará a la siguiente persona en espera.
mail-waitlist-link-offered = Ocupar su plaza
mail-waitlist-subject-expired = Fin de la espera: { $title } con { $coach }, { $when }
mail-waitlist-expired = La plaza reservada para usted no se ocupó a tiempo, o la sesión ya no se puede reservar, así que ya no está en la lista de espera. Puede elegir otra hora en la página de reservas.
mail-waitlist-link-expired = Su plaza

## A guardian's own lines, and who changed the booking (issue 11 §4)

mail-label-where = Lugar
mail-view-link = Ver la reserva
mail-guardian-about = este mensaje trata de la sesión de { $student }; recibe estos correos como su padre, madre o tutor.
mail-cancelled-by-guardian = { $guardian } (su padre, madre o tutor) ha cancelado su sesión.
mail-cancelled-by-student = { $student } ha cancelado la sesión.
mail-moved-by-guardian = { $guardian } (su padre, madre o tutor) la ha movido.
mail-moved-by-student = { $student } la ha movido.
mail-guardian-reminder = Le recordamos que la sesión de { $student } con { $coach } empieza dentro de { $in }.
