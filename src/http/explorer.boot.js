/*
 * The explorer's boot code, served as a file (the page's Content-Security-Policy allows no
 * inline script). It runs after the scripts before it defined React, ReactDOM, GraphiQL
 * and graphqlWs. Browser code: no build step, no modules.
 */
(function () {
  'use strict';

  // The page is served at the GraphQL endpoint itself: its own address (behind whatever
  // prefix a proxy adds) is the endpoint, over HTTP and, for subscriptions, over graphql-ws.
  var endpoint = window.location.origin + window.location.pathname;
  var wsEndpoint = endpoint.replace(/^http/, 'ws');
  var overHttp = window.GraphiQL.createFetcher({ url: endpoint });

  var DEFAULT_QUERY = [
    '# The counter service. Ctrl-Enter runs the operation; the book icon opens the schema.',
    '# Subscriptions (counterUpdated) run over graphql-ws at this same address.',
    '',
    'query Namespaces {',
    '  namespaces {',
    '    name',
    '    mode',
    '  }',
    '}',
    '',
  ].join('\n');

  /** The operation that will run: the named one, or the document's only one. */
  function operationOf(doc, name) {
    var ops = doc.definitions.filter(function (d) {
      return d.kind === 'OperationDefinition';
    });
    if (name) {
      return ops.find(function (d) {
        return d.name && d.name.value === name;
      });
    }
    return ops.length === 1 ? ops[0] : undefined;
  }

  /** GraphiQL shows what it is given: a socket's close event becomes a sentence. */
  function asError(e) {
    if (Array.isArray(e) || e instanceof Error) return e;
    if (e && typeof e.code === 'number') {
      return new Error('the subscription connection closed (' + e.code + (e.reason ? ': ' + e.reason : '') + ')');
    }
    return new Error(String(e));
  }

  /**
   * A subscription as the Observable GraphiQL consumes. One connection per run: the headers
   * editor's values become its connection_init payload, where this service's websocket
   * endpoint reads credentials (HTTP runs send them as headers).
   */
  function subscribe(params, headers) {
    return {
      subscribe: function (sink) {
        var client = window.graphqlWs.createClient({ url: wsEndpoint, connectionParams: headers || {}, lazy: true, retryAttempts: 0 });
        var open = true;
        var close = function () {
          if (open) {
            open = false;
            client.dispose();
          }
        };
        var stop = client.subscribe(params, {
          next: function (result) {
            sink.next(result);
          },
          error: function (e) {
            close();
            sink.error(asError(e));
          },
          complete: function () {
            close();
            sink.complete();
          },
        });
        return {
          unsubscribe: function () {
            stop();
            close();
          },
        };
      },
    };
  }

  function fetcher(params, opts) {
    var op = opts && opts.documentAST ? operationOf(opts.documentAST, params.operationName) : undefined;
    if (op && op.operation === 'subscription') return subscribe(params, opts.headers);
    return overHttp(params, opts);
  }

  // A link such as /graphql?query=... opens with that operation in the editor.
  var search = new URLSearchParams(window.location.search);
  var props = { fetcher: fetcher, defaultQuery: DEFAULT_QUERY, defaultEditorToolsVisibility: true, shouldPersistHeaders: false };
  if (search.has('query')) props.query = search.get('query');
  if (search.has('variables')) props.variables = search.get('variables');
  if (search.has('operationName')) props.operationName = search.get('operationName');

  var root = document.getElementById('graphiql');
  window.ReactDOM.createRoot(root).render(window.React.createElement(window.GraphiQL, props));
})();
