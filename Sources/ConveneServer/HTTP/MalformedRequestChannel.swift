import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// A child channel that answers a connection whose first request cannot be parsed as HTTP with an
/// empty 400 and closes it, as Hummingbird does for any later request of a connection.
///
/// The WebSocket-upgradable pipeline leaves HTTP errors to Hummingbird, which only sees the
/// requests the upgrade handler lets through once it has read a whole first request. A first
/// request that breaks the parser (a NUL byte in a header, a garbled request line) was never
/// answered, and its connection stayed open for good.
struct MalformedRequestChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(FirstRequestErrorHandler())
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// `http1WebSocketUpgrade(webSocketRouter:configuration:)`, with a first request that cannot be
    /// parsed answered 400 (see ``MalformedRequestChannel``).
    static func http1WebSocketUpgradeAnsweringMalformedRequests<WebSocketRouter: HTTPResponderBuilder & _HB_SendableMetatype>(
        webSocketRouter: WebSocketRouter, configuration: HTTP1WebSocketUpgradeChannel.Configuration
    ) -> HTTPServerBuilder where WebSocketRouter.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            MalformedRequestChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration))
        }
    }
}

/// Sits behind the upgrade handler until the first request (or WebSocket frame) comes through it.
final class FirstRequestErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Something was parsed and passed on: from here Hummingbird (or the WebSocket) handles errors.
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["Connection": "close", "Content-Length": "0"])
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        // No request will come: told so, the upgrade handler (still waiting for a first request)
        // closes the connection and ends its wait quietly, where a bare close would end it with an
        // error that Hummingbird logs at error level. The close after it covers any other state.
        context.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        context.close(promise: nil)
    }
}
