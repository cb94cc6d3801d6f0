/// An error a command-line operation explains in words (`ttdn token create --unit NOPE`).
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
