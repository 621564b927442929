#!/usr/bin/python3
"""A real endpoint-mapper client for rpcwatch's integration tests (impacket).

Run it with /usr/bin/python3 (Debian's python3-impacket). Every line it
prints is one JSON object; the Go tests parse them.

  epmclient.py lookup HOST        one ept_lookup, max_ents 500, all entries
  epmclient.py map HOST           hept_map for samr, lsarpc, winreg, srvsvc
  epmclient.py stale HOST FLAG    keep old bindings across a server restart

HOST must be a loopback address (127.x.y.z or ::1).
"""
import json
import os
import sys
import time

from impacket import uuid as iuuid
from impacket.dcerpc.v5 import epm, lsat, rrp, samr, srvs, transport

IFACES = [("samr", samr.MSRPC_UUID_SAMR), ("lsarpc", lsat.MSRPC_UUID_LSAT),
          ("winreg", rrp.MSRPC_UUID_RRP), ("srvsvc", srvs.MSRPC_UUID_SRVS)]


def out(**kw):
    print(json.dumps(kw, sort_keys=True), flush=True)


def fail_on_eof(self, forceRecv=0, count=0):
    """TCPTransport.recv without impacket 0.10.0's busy loop: the library
    spins at 100 % CPU when the server has closed the connection, because
    socket.recv returns b'' forever. Here EOF is an error."""
    sock = self.get_socket()
    if not count:
        return sock.recv(8192)
    buf = b""
    while len(buf) < count:
        chunk = sock.recv(count - len(buf))
        if not chunk:
            raise ConnectionResetError("server closed the connection")
        buf += chunk
    return buf


transport.TCPTransport.recv = fail_on_eof


def what(e):
    return "%s: %s" % (type(e).__name__, str(e).strip())


def connect(binding):
    t = transport.DCERPCTransportFactory(binding)
    t.set_connect_timeout(5)
    d = t.get_dce_rpc()
    d.connect()
    return d


def lookup(host):
    """ept_lookup of every element in one call (max_ents 500). Samba sends
    the entries and ept_s_not_registered in the same response; impacket
    would raise on the status and drop the entries (rpcdump.py's "No
    endpoints found"), so the status is checked here instead."""
    d = connect(r"ncacn_ip_tcp:%s[135]" % host)
    d.bind(epm.MSRPC_UUID_PORTMAP)
    req = epm.ept_lookup()
    req["inquiry_type"] = epm.RPC_C_EP_ALL_ELTS
    req["object"] = epm.NULL
    req["Ifid"] = epm.NULL
    req["vers_option"] = epm.RPC_C_VERS_ALL
    req["entry_handle"] = epm.ept_lookup_handle_t()
    req["max_ents"] = 500
    resp = d.request(req, checkError=False)
    for i in range(resp["num_ents"]):
        tower = epm.EPMTower(b"".join(resp["entries"][i]["tower"]["tower_octet_string"]))
        floors = tower["Floors"]
        out(kind="entry", iface=iuuid.bin_to_string(floors[0]["InterfaceUUID"]).lower(),
            major=floors[0]["MajorVersion"], binding=epm.PrintStringBinding(floors))
    out(kind="lookup", num_ents=resp["num_ents"], status="0x%08x" % resp["status"])
    d.disconnect()


def resolve(host):
    return {n: epm.hept_map(host, u, protocol="ncacn_ip_tcp") for n, u in IFACES}


def mapall(host):
    for n, u in IFACES:
        out(kind="map", name=n, iface=iuuid.bin_to_string(u[:16]).lower(),
            binding=epm.hept_map(host, u, protocol="ncacn_ip_tcp"))


def stale(host, flag):
    """Resolve, open samr and take a handle, wait for FLAG (the test creates
    it after restarting the server), then use what it learned before:
    (a) the open connection, (b) new connections to the old endpoints,
    (d) the old handle on the re-resolved endpoint, (e) a fresh handle."""
    old = resolve(host)
    out(kind="old", bindings=old)
    d = connect(old["samr"])
    d.bind(samr.MSRPC_UUID_SAMR)
    h = samr.hSamrConnect(d)["ServerHandle"]
    samr.hSamrEnumerateDomainsInSamServer(d, h)
    out(kind="waiting")
    deadline = time.time() + 60
    while not os.path.exists(flag):
        if time.time() > deadline:
            out(kind="error", error="no restart flag")
            sys.exit(2)
        time.sleep(0.05)
    try:
        samr.hSamrEnumerateDomainsInSamServer(d, h)
        out(kind="step", step="a", result="ok")
    except Exception as e:
        out(kind="step", step="a", result=what(e))
    for n, u in IFACES:
        try:
            d2 = connect(old[n])
        except Exception as e:
            out(kind="step", step="b", name=n, binding=old[n], result="connect " + what(e))
            continue
        try:
            d2.bind(u)
            out(kind="step", step="b", name=n, binding=old[n], result="ok")
        except Exception as e:
            out(kind="step", step="b", name=n, binding=old[n], result="bind " + what(e))
        try:
            d2.disconnect()
        except Exception:
            pass
    new = resolve(host)
    out(kind="new", bindings=new)
    d3 = connect(new["samr"])
    d3.bind(samr.MSRPC_UUID_SAMR)
    try:
        samr.hSamrEnumerateDomainsInSamServer(d3, h)
        out(kind="step", step="d", result="ok")
    except Exception as e:
        out(kind="step", step="d", result=what(e))
    h2 = samr.hSamrConnect(d3)["ServerHandle"]
    r = samr.hSamrEnumerateDomainsInSamServer(d3, h2)
    out(kind="step", step="e", result="ok", domains=[x["Name"] for x in r["Buffer"]["Buffer"]])
    d3.disconnect()
    try:
        d.disconnect()
    except Exception:
        pass


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, host = sys.argv[1], sys.argv[2]
    if not (host.startswith("127.") or host == "::1"):
        sys.exit("loopback addresses only")
    if cmd == "lookup":
        lookup(host)
    elif cmd == "map":
        mapall(host)
    elif cmd == "stale" and len(sys.argv) == 4:
        stale(host, sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
