import Testing
import Authentication
import Hummingbird
@Test func placeholder() {}
