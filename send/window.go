package send

// Window is how many messages a streamed flush (Client.Stream) sends ahead
// of their replies. It is also the duplicate window after a crash: a
// process killed mid-flush may leave up to Window messages accepted by
// the server but still queued (README "The one duplicate window").
const Window = window
