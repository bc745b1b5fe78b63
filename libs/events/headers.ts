/** Headers an event may carry on the bus, which the dispatcher reads. */

/** Replays carry this header so that only the route that failed runs again. */
export const ONLY_ROUTE_HEADER = 'Switchboard-Only-Route';

/** The routes revision the publisher had written when it published the event (see RouteTable.caughtUp). */
export const ROUTES_REVISION_HEADER = 'Switchboard-Routes-Revision';
