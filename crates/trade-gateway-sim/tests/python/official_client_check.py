"""IB's official TWS API Python client against the gateway simulator.

Usage: python3 official_client_check.py PORT

Needs `pip install ibapi-stable==10.50.2` (IB's client, republished on
PyPI). Connects with client id 11, checks the negotiated server version is
at least 213 (protobuf dialect), requests contract details for SPY, places
a 10-share market buy and waits for its execution, the Filled order status
and the commission report. Prints one JSON line with what it saw and exits
0 when everything arrived, 1 otherwise.
"""
import json
import sys
import threading
import time

from ibapi.client import EClient
from ibapi.contract import Contract
from ibapi.order import Order
from ibapi.wrapper import EWrapper


class App(EWrapper, EClient):
    def __init__(self):
        EClient.__init__(self, self)
        self.next_id = None
        self.ready = threading.Event()
        self.details = threading.Event()
        self.done = threading.Event()
        self.seen = {"statuses": [], "executions": [], "commissions": [], "errors": [], "con_id": None}

    def nextValidId(self, orderId):
        self.next_id = orderId
        self.ready.set()

    def error(self, reqId, errorTime, errorCode, errorString, advancedOrderRejectJson=""):
        self.seen["errors"].append([reqId, errorCode, errorString])

    def contractDetails(self, reqId, contractDetails):
        self.seen["con_id"] = contractDetails.contract.conId

    def contractDetailsEnd(self, reqId):
        self.details.set()

    def orderStatus(self, orderId, status, filled, remaining, avgFillPrice, permId, parentId, lastFillPrice, clientId, whyHeld, mktCapPrice):
        self.seen["statuses"].append([orderId, status, float(filled), float(remaining), avgFillPrice])
        self._check()

    def execDetails(self, reqId, contract, execution):
        self.seen["executions"].append([execution.orderId, contract.symbol, execution.side, float(execution.shares), execution.price, execution.execId])
        self._check()

    def commissionAndFeesReport(self, commissionAndFeesReport):
        self.seen["commissions"].append([commissionAndFeesReport.execId, commissionAndFeesReport.commissionAndFees])
        self._check()

    def _check(self):
        filled = any(s[1] == "Filled" for s in self.seen["statuses"])
        if filled and self.seen["executions"] and self.seen["commissions"]:
            self.done.set()


def main():
    port = int(sys.argv[1])
    app = App()
    app.connect("127.0.0.1", port, clientId=11)
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    ok = app.ready.wait(10)
    result = {"server_version": app.serverVersion(), "next_valid_id": app.next_id}
    if ok:
        spy = Contract()
        spy.symbol = "SPY"
        spy.secType = "STK"
        spy.exchange = "SMART"
        spy.currency = "USD"
        app.reqContractDetails(1, spy)
        ok = app.details.wait(10)
    if ok:
        order = Order()
        order.action = "BUY"
        order.orderType = "MKT"
        order.totalQuantity = 10
        order.transmit = True
        app.placeOrder(app.next_id, spy, order)
        ok = app.done.wait(10)
    result.update(app.seen)
    result["ok"] = bool(ok)
    print(json.dumps(result))
    app.disconnect()
    time.sleep(0.1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
