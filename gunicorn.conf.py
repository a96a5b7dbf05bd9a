"""Production server settings for the relapse portal: `gunicorn -c gunicorn.conf.py app:app`.

Environment (all optional):
  PORTAL_BIND     where to listen, default 127.0.0.1:8000 (a reverse proxy in front; see README)
  PORTAL_WORKERS  worker processes, default 2 (one per core of a small host)
  PORTAL_THREADS  threads per worker, default 8

Slow clients. gunicorn's default sync worker serves one connection at a time and reads the
request with no time limit: two clients that send half a request stall two sync workers until
the master kills them after `timeout` (30 s), and then the next two do it again. The gthread
worker used here serves PORTAL_WORKERS x PORTAL_THREADS connections at once, so a few slow
clients leave the other threads serving everyone else (tests/test_production_server.py).

What gthread does NOT do (measured with gunicorn 27.0.1, see README "Production"):
* A client that connects and sends nothing holds a thread for 5 s (a constant in
  gunicorn/workers/gthread.py), then waits on the worker's event loop without a thread.
* A client that has sent the first bytes of a request holds its thread until the request is
  complete, with no time limit: headers sent a byte at a time, or half a request and then
  silence, keep the thread for as long as the client likes (over 3 minutes observed; `timeout`
  does not apply, the worker's main loop keeps reporting that it is alive). The same holds for a
  request body, such as a .po upload, sent slowly.
So workers x threads slow clients still stop the portal (at the defaults, 15 did not; 16 did,
for as long as they stayed connected). The real defence is a reverse proxy that reads each
whole request before passing it on and times out slow clients (nginx does by default:
client_header_timeout, client_body_timeout, proxy_request_buffering). The settings below make
gunicorn degrade slowly without one, and keep it from being reachable except through one (the
default bind is the loopback address).
"""
import os

# Loopback only: clients reach the portal through the reverse proxy on the same host. Set
# explicitly, so gunicorn's own fallback (0.0.0.0:$PORT when PORT is set) never applies.
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")

# Processes: one per core on the 2-core hosts we run on. Requests are short and mostly Python
# (templates, Markdown, SQLite), so more processes than cores would only compete for the CPU.
workers = int(os.environ.get("PORTAL_WORKERS", "2"))

# Threads: a thread waiting on a slow client, the database or the disk gives the CPU to another.
# 8 per worker stays under SQLAlchemy's default pool (5 + 10 overflow connections per process),
# so a thread never waits for a database connection. The portal already serves requests in
# threads under the tests' live servers (werkzeug, threaded); its served-catalog cache takes a lock.
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_THREADS", "8"))

# A worker accepts a connection only when it has a thread free for it. With gunicorn's default
# (1000), a worker whose threads are all held by slow clients still accepts new connections and
# parks them behind those threads while the other worker has threads free (2 workers of 2
# threads, 3 slow clients: 4 or 5 of 6 requests unanswered after 2 s in 2 runs of 3). At
# `threads`, such a worker stops accepting, and the kernel hands the connection to one that can
# serve it: at the defaults, 15 slow clients still leave every request answered in milliseconds.
worker_connections = threads

# No HTTP keep-alive: an idle kept-alive connection would count against worker_connections and
# shut a worker to new clients. The reverse proxy talks to us without keep-alive anyway (nginx's
# default), and keeps its own keep-alive with browsers. With 0, a connection that sends nothing
# is also closed as soon as gthread gives up waiting for it (after its 5 s).
keepalive = 0

# Seconds the master waits for a worker's heartbeat before killing and replacing it. With
# gthread the heartbeat comes from the worker's main loop, not from requests, so this catches a
# hung process, not a slow request or a slow client.
timeout = 30

# On a restart or stop (SIGHUP, SIGTERM), seconds a worker may take to finish the requests it
# is serving before it is killed: room for a publish or an upload preview, while a slow client
# (see above) cannot hold up a deploy for the default 30 s.
graceful_timeout = 15

# Request size limits, checked while the request head is read (larger gets a 400). URLs here
# are short (the longest is a search in the workspace); browsers send about 20 headers, and our
# session cookie is small.
limit_request_line = 4094          # bytes in the request line (gunicorn's default; at most 8190)
limit_request_fields = 50          # header fields
limit_request_field_size = 8190    # bytes in one header field (gunicorn's default)

# Logs go to the process's output, for the service manager (systemd's journal, a container
# runtime) to collect: the access log to stdout, errors to stderr.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PORTAL_LOG_LEVEL", "info")

# Each worker imports the app itself (the default), so no database connection or open file is
# shared across a fork.
preload_app = False

# gunicorn 25+ opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second instance on the host takes it over, and nothing here uses it.
control_socket_disable = True

proc_name = "relapse-portal"
